"""Bad rows are rejected with a reason in the CSV; every other row is imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management.base import CommandError

from collections_app.models import Specimen

from .dwca_support import import_dwca, occurrence, rejects_of, write_occurrences


@pytest.fixture
def mixed_archive(tmp_path) -> Path:
    return write_occurrences(
        tmp_path / "mixed.zip",
        [
            occurrence(1),
            occurrence(2, catalogNumber="  "),
            occurrence(3, scientificName="Carabus " + "x" * 250),
            occurrence(4, institutionCode="INSTB"),
            occurrence(5, collectionCode="BOT"),
            occurrence(1, locality="a second row for ENT-00001"),
            occurrence(6, eventDate="14 June 1921"),
            occurrence(7, eventDate="1921-02-30"),
            occurrence(8, catalogNumber="N" * 101),
            occurrence(9, locality="Fontaine\x00bleau"),
            occurrence(10),
        ],
    )


def test_each_bad_row_is_rejected_with_its_line_and_reason(collection_a, mixed_archive):
    output = import_dwca(mixed_archive, collection_a)

    rejects = mixed_archive.with_name("mixed.rejects.csv")
    assert output.strip() == (
        f"created 2, updated 0, unchanged 0, rejected 9 (reasons in {rejects})"
    )
    assert [(row["line"], row["catalogNumber"], row["reason"]) for row in rejects_of(rejects)] == [
        ("3", "", "catalogNumber is missing"),
        ("4", "ENT-00003", "scientificName is longer than 255 characters"),
        (
            "5",
            "ENT-00004",
            "institutionCode 'INSTB' is not 'INSTA' of --collection "
            "(use --ignore-codes to import such rows anyway)",
        ),
        (
            "6",
            "ENT-00005",
            "collectionCode 'BOT' is not 'ENT' of --collection "
            "(use --ignore-codes to import such rows anyway)",
        ),
        ("7", "ENT-00001", "duplicate in archive: catalogNumber already on line 2"),
        ("8", "ENT-00006", "eventDate '14 June 1921' is not an ISO 8601 date or interval"),
        ("9", "ENT-00007", "eventDate '1921-02-30' is not an ISO 8601 date or interval"),
        ("10", "N" * 101, "catalogNumber is longer than 100 characters"),
        ("11", "ENT-00009", "contains a NUL character"),
    ]
    assert set(Specimen.objects.values_list("catalog_number", flat=True)) == {
        "ENT-00001",
        "ENT-00010",
    }


def test_the_first_row_of_a_duplicated_catalogue_number_wins(collection_a, mixed_archive):
    import_dwca(mixed_archive, collection_a)

    first = Specimen.objects.get(catalog_number="ENT-00001")
    assert first.locality == "Forêt de Fontainebleau, Seine-et-Marne"


def test_a_duplicate_in_a_later_batch_is_rejected_too(collection_a, tmp_path):
    archive = write_occurrences(
        tmp_path / "dupes.zip",
        [occurrence(n) for n in range(1, 6)] + [occurrence(2, locality="later"), occurrence(6)],
    )

    output = import_dwca(archive, collection_a, "--batch-size", "2")
    again = import_dwca(archive, collection_a, "--batch-size", "2")

    assert output.startswith("created 6, updated 0, unchanged 0, rejected 1")
    assert again.startswith("created 0, updated 0, unchanged 6, rejected 1")
    assert [row["reason"] for row in rejects_of(tmp_path / "dupes.rejects.csv")] == [
        "duplicate in archive: catalogNumber already on line 3"
    ]
    assert Specimen.objects.get(catalog_number="ENT-00002").locality != "later"


def test_ignore_codes_imports_rows_of_other_codes(collection_a, mixed_archive):
    output = import_dwca(mixed_archive, collection_a, "--ignore-codes")

    assert output.startswith("created 4, updated 0, unchanged 0, rejected 7")
    assert Specimen.objects.filter(catalog_number__in=["ENT-00004", "ENT-00005"]).count() == 2


def test_codes_compare_in_any_case_and_blank_codes_are_accepted(collection_a, tmp_path):
    archive = write_occurrences(
        tmp_path / "codes.zip",
        [
            occurrence(1, institutionCode="insta", collectionCode="ent"),
            occurrence(2, institutionCode="", collectionCode=""),
        ],
    )

    output = import_dwca(archive, collection_a)

    assert output.startswith("created 2, updated 0, unchanged 0, rejected 0")


def test_values_are_stripped_and_country_codes_upper_cased(collection_a, tmp_path):
    archive = write_occurrences(
        tmp_path / "spaces.zip",
        [
            occurrence(
                1, catalogNumber="  ENT-1 ", scientificName=" Carabus auratus  ", countryCode="fr"
            )
        ],
    )

    import_dwca(archive, collection_a)

    specimen = Specimen.objects.get()
    assert (specimen.catalog_number, specimen.scientific_name, specimen.country) == (
        "ENT-1",
        "Carabus auratus",
        "FR",
    )


def test_rejects_go_where_asked(collection_a, mixed_archive, tmp_path):
    wanted = tmp_path / "elsewhere" / "why.csv"
    wanted.parent.mkdir()

    output = import_dwca(mixed_archive, collection_a, "--rejects", str(wanted))

    assert output.strip().endswith(f"(reasons in {wanted})")
    assert len(rejects_of(wanted)) == 9


def test_rejects_go_to_the_temporary_folder_when_the_archive_folder_refuses_them(
    collection_a, mixed_archive, tmp_path, monkeypatch
):
    # A directory where the CSV would go makes opening it fail, as a read-only folder would.
    mixed_archive.with_name("mixed.rejects.csv").mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    output = import_dwca(mixed_archive, collection_a)

    fallback = tmp_path / "tmp" / "mixed.rejects.csv"
    assert output.strip().endswith(f"(reasons in {fallback})")
    assert len(rejects_of(fallback)) == 9


def test_rejects_never_overwrite_the_archive(collection_a, mixed_archive):
    before = mixed_archive.read_bytes()

    with pytest.raises(CommandError, match="--rejects must not overwrite the archive"):
        import_dwca(mixed_archive, collection_a, "--rejects", str(mixed_archive))

    assert mixed_archive.read_bytes() == before
    assert not Specimen.objects.exists()
