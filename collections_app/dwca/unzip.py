"""Copying one member out of a zip, a deflated one inflated by ISA-L.

The import's readers take byte ranges of the core file as they are written
(``OccurrenceArchive.arriving``), but the inflating is still on the import's critical path:
≈ 1 s a million rows with ``zipfile``'s zlib, half that with ISA-L's inflate (``isal``, SIMD
assembly; bench/README.md). ``zipfile`` has no way to hand a member's compressed bytes to
another inflater, so a deflated member is read here from its local header on, as ``zipfile``
reads it, and its CRC-32 is checked as ``zipfile`` checks it: a damaged member is refused
before its last piece is given, so nothing is loaded from it (the readers may have read what
came before; their work is thrown away). Any other member (stored, bzip2, LZMA, encrypted)
goes through ``zipfile`` itself, which reads or refuses it as before.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator
from functools import partial
from typing import cast

from isal import isal_zlib

#: Compressed bytes read at a time, and the most inflated bytes held at once: memory stays
#: flat whatever the member's size and compression ratio.
CHUNK = 16 * 1024
PIECE = 128 * 1024
_ENCRYPTED = 0x1  # general purpose flag bit 0
#: A local file header (APPNOTE.TXT 4.3.7): its signature, …, its name's and extra field's
#: lengths.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
#: What ISA-L raises for data that is not deflate (its stubs declare an instance, not a class).
_InflateError = cast("type[Exception]", isal_zlib.error)


class DamagedMember(zipfile.BadZipFile):
    """The member's compressed data is not what its headers say."""


def member_pieces(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """``member``'s content, at most ``PIECE`` bytes at a time, as it is inflated; the last
    piece comes only once the whole member has been checked, so a damaged member raises
    (``zipfile.BadZipFile`` or ``zipfile``'s own errors) before its copy is complete."""
    if member.compress_type != zipfile.ZIP_DEFLATED or member.flag_bits & _ENCRYPTED:
        with archive.open(member) as source:  # zipfile checks the CRC as the last bytes go
            yield from iter(partial(source.read, PIECE), b"")
        return
    inflater = isal_zlib.decompressobj(-isal_zlib.MAX_WBITS)  # raw deflate, as in a zip
    crc = size = 0
    try:
        for chunk in _compressed(archive, member):
            while chunk:
                data = inflater.decompress(chunk, PIECE)
                crc, size = isal_zlib.crc32(data, crc), size + len(data)
                yield data
                chunk = inflater.unconsumed_tail
        data = inflater.flush()
    except _InflateError as exc:
        raise DamagedMember(f"{member.filename}: {exc}") from exc
    crc, size = isal_zlib.crc32(data, crc), size + len(data)
    if not inflater.eof or size != member.file_size:
        raise DamagedMember(f"{member.filename} is cut short")
    if crc != member.CRC:
        raise DamagedMember(f"Bad CRC-32 for file {member.filename!r}")
    yield data


def _compressed(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's compressed bytes, a ``CHUNK`` at a time, from just after its local header
    (whose name and extra field may differ in length from the central directory's)."""
    if archive.filename is None:
        raise ValueError("the zip must be opened from a path")
    with open(archive.filename, "rb") as source:
        source.seek(member.header_offset)  # ``zipfile`` moved it past any prefix (an SFX stub)
        header = source.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size:
            raise DamagedMember(f"{member.filename}: its local header is cut short")
        signature, *_fields, name_length, extra_length = _LOCAL_HEADER.unpack(header)
        if signature != _LOCAL_SIGNATURE:
            raise DamagedMember(f"{member.filename}: bad magic number for its local header")
        source.seek(name_length + extra_length, 1)
        left = member.compress_size
        while left:
            chunk = source.read(min(left, CHUNK))
            if not chunk:
                raise DamagedMember(f"{member.filename} is cut short")
            left -= len(chunk)
            yield chunk
