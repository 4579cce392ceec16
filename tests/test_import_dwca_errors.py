"""What cannot be imported at all fails with a clear CommandError, and imports nothing."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from bench.make_dwca import ArchiveSpec, make_archive, write_dwca
from collections_app.dwca.terms import DWC
from collections_app.models import Specimen

from .dwca_support import COLUMNS, import_dwca, occurrence, write_occurrences


@pytest.fixture
def archive(tmp_path) -> Path:
    return write_occurrences(tmp_path / "good.zip", [occurrence(n) for n in range(1, 4)])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("NOPE:ENT", "No institution has the code 'NOPE'. Institutions: INSTA, INSTB"),
        ("INSTA:BOT", "INSTA has no collection 'BOT'. Its collections: ENT"),
        ("INSTA", "--collection must be INSTITUTION:COLLECTION (codes), e.g. NHM:ENT; got 'INSTA'"),
        ("INSTA:", "--collection must be INSTITUTION:COLLECTION"),
    ],
)
def test_an_unknown_collection_is_refused_with_what_exists(
    collection_a, institution_b, archive, spec, message
):
    with pytest.raises(CommandError, match="^" + re.escape(message)):
        import_dwca(archive, spec)
    assert not Specimen.objects.exists()


def test_an_archive_of_taxa_is_not_taken_for_occurrences(collection_a, tmp_path):
    path = tmp_path / "checklist.zip"
    write_dwca(path, COLUMNS, [occurrence(1)], row_type=DWC + "Taxon")

    with pytest.raises(
        CommandError, match=re.escape("core holds http://rs.tdwg.org/dwc/terms/Taxon records")
    ):
        import_dwca(path, collection_a)
    assert not Specimen.objects.exists()


def test_a_damaged_zip_is_refused(collection_a, tmp_path):
    path = tmp_path / "damaged.zip"
    make_archive(path, ArchiveSpec(rows=300, institution_code="INSTA"))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))

    with pytest.raises(CommandError, match=re.escape("damaged.zip cannot be unzipped")):
        import_dwca(path, collection_a)
    assert not Specimen.objects.exists()


def test_a_cut_off_zip_is_refused(collection_a, archive):
    archive.write_bytes(archive.read_bytes()[:-200])

    with pytest.raises(CommandError, match=re.escape("is not a zip file")):
        import_dwca(archive, collection_a)


def test_a_path_that_does_not_exist_is_refused(collection_a, tmp_path):
    with pytest.raises(CommandError, match=re.escape("missing.zip does not exist")):
        import_dwca(tmp_path / "missing.zip", collection_a)


def test_a_zip_without_meta_xml_is_refused(collection_a, tmp_path):
    path = tmp_path / "bare.zip"
    with zipfile.ZipFile(path, "w") as bare:
        bare.writestr("occurrence.txt", "catalogNumber\nENT-1\n")

    with pytest.raises(CommandError, match=re.escape("The archive has no meta.xml")):
        import_dwca(path, collection_a)


def test_a_zip_whose_core_file_is_missing_is_refused(collection_a, archive, tmp_path):
    broken = tmp_path / "no-core.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(broken, "w") as target:
        target.writestr("meta.xml", source.read("meta.xml"))

    with pytest.raises(
        CommandError, match=re.escape("core file occurrence.txt named in meta.xml is not in")
    ):
        import_dwca(broken, collection_a)


def test_an_archive_without_catalogue_numbers_is_refused(collection_a, tmp_path):
    path = tmp_path / "unnumbered.zip"
    write_dwca(path, (COLUMNS[0], DWC + "scientificName"), [("1", "Carabus auratus")])

    with pytest.raises(CommandError, match=re.escape("occurrence.txt has no catalogNumber column")):
        import_dwca(path, collection_a)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ("<archive><core", "meta.xml cannot be read"),
        ('<archive xmlns="http://rs.tdwg.org/dwc/text/"></archive>', "meta.xml cannot be read"),
    ],
)
def test_a_broken_meta_xml_is_refused(collection_a, tmp_path, meta, message):
    path = tmp_path / "broken-meta.zip"
    with zipfile.ZipFile(path, "w") as broken:
        broken.writestr("meta.xml", meta)
        broken.writestr("occurrence.txt", "")

    with pytest.raises(CommandError, match=re.escape(message)):
        import_dwca(path, collection_a)


def test_an_encoding_python_does_not_know_is_refused(collection_a, archive, tmp_path):
    relabelled = tmp_path / "klingon.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(relabelled, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "meta.xml":
                data = data.replace(b'encoding="UTF-8" fields', b'encoding="KLINGON-8" fields')
            target.writestr(name, data)

    with pytest.raises(
        CommandError,
        match=r"meta.xml declares an encoding Python does not know \(unknown encoding: KLINGON-8\)",
    ):
        import_dwca(relabelled, collection_a)


def test_a_cut_off_row_stops_the_import_after_the_whole_batches_before_it(collection_a, tmp_path):
    rows = [occurrence(n) for n in range(1, 6)] + [("1006", "INSTA")] + [occurrence(7)]
    path = write_occurrences(tmp_path / "cut.zip", rows)

    with pytest.raises(CommandError) as raised:
        import_dwca(path, collection_a, "--batch-size", "2")

    assert str(raised.value) == (
        "Line 7 of occurrence.txt has fewer columns than meta.xml declares (a blank or cut-off "
        "line?). The 4 rows before it (up to line 5) are imported; correct the archive and "
        "re-run to finish."
    )
    assert Specimen.objects.count() == 4


def test_a_batch_size_below_one_is_refused(collection_a, archive):
    with pytest.raises(CommandError, match=re.escape("--batch-size must be 1 or more")):
        import_dwca(archive, collection_a, "--batch-size", "0")


def test_a_core_file_outside_the_archive_is_refused(collection_a, archive, tmp_path):
    escaping = tmp_path / "escaping.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(escaping, "w") as target:
        meta = source.read("meta.xml").replace(b">occurrence.txt<", b">../../etc/passwd<")
        target.writestr("meta.xml", meta)
        target.writestr("occurrence.txt", source.read("occurrence.txt"))

    with pytest.raises(CommandError, match=re.escape("names a core file outside the archive")):
        import_dwca(escaping, collection_a)
