"""The core file comes out of the zip whatever its compression, and only if it is intact.

A deflated member is inflated by ISA-L (``collections_app.dwca.unzip``), the others by
``zipfile``; both refuse a member whose data or checksum is wrong, and then nothing is
imported.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from collections_app.dwca import unzip
from collections_app.models import Specimen

from .dwca_support import import_dwca, occurrence, write_occurrences

CORE = "occurrence.txt"


def rezipped(source: Path, target: Path, compression: int) -> Path:
    """``source``'s members again, each compressed with ``compression``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", compression) as new:
        for member in old.infolist():
            new.writestr(member.filename, old.read(member))
    return target


def with_core_crc(path: Path, crc: int) -> None:
    """Write ``crc`` as the core file's CRC-32 in the central directory (its data unchanged)."""
    data = bytearray(path.read_bytes())
    at = -1
    while (at := data.find(b"PK\x01\x02", at + 1)) != -1:
        (name_length,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46 : at + 46 + name_length].decode().endswith(CORE):
            struct.pack_into("<L", data, at + 16, crc)
            path.write_bytes(bytes(data))
            return
    raise AssertionError("no central directory entry for the core file")


@pytest.fixture
def archive(tmp_path) -> Path:
    rows = [occurrence(n) for n in range(1, 301)]
    return write_occurrences(tmp_path / "deflated.zip", rows)


@pytest.mark.parametrize(
    "compression",
    [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA],
    ids=["deflated", "stored", "bzip2", "lzma"],
)
def test_every_compression_imports_the_same_specimens(collection_a, archive, tmp_path, compression):
    path = rezipped(archive, tmp_path / "again.zip", compression)

    output = import_dwca(path, collection_a)

    assert output.startswith("created 300, updated 0, unchanged 0, rejected 0")
    assert Specimen.objects.filter(collection=collection_a).count() == 300


def test_a_deflated_core_file_is_inflated_by_isal_exactly(archive, monkeypatch):
    """Byte for byte what ``zipfile`` gives, read in pieces smaller than the member, and
    not through ``zipfile``'s own inflating."""
    monkeypatch.setattr(unzip, "CHUNK", 100)
    with zipfile.ZipFile(archive) as opened:
        member = next(m for m in opened.infolist() if m.filename.endswith(CORE))
        expected = opened.read(member)
        monkeypatch.setattr(opened, "open", lambda *args, **kwargs: pytest.fail("zipfile"))
        pieces = list(unzip.member_pieces(opened, member))

    assert member.compress_type == zipfile.ZIP_DEFLATED
    assert member.compress_size > 10 * unzip.CHUNK
    assert len(pieces) > 1
    assert b"".join(pieces) == expected


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED], ids=["deflated", "stored"]
)
def test_a_core_file_whose_checksum_is_wrong_is_refused(
    collection_a, archive, tmp_path, compression
):
    path = rezipped(archive, tmp_path / "damaged.zip", compression)
    with zipfile.ZipFile(path) as opened:
        crc = next(m.CRC for m in opened.infolist() if m.filename.endswith(CORE))
    with_core_crc(path, crc ^ 1)

    with pytest.raises(CommandError, match=re.escape("damaged.zip cannot be unzipped")) as error:
        import_dwca(path, collection_a)
    assert "CRC-32" in str(error.value)
    assert not Specimen.objects.exists()
