"""Several mapper processes over byte ranges of the core file give the single reader's result.

An unquoted archive is cut into one byte range per batch (``spans``) and mapped by
``--mappers`` processes; these tests import the same archives both ways and compare everything
a person sees: the catalogue, the summary, the rejects CSV, a damaged line's error.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from collections_app.dwca import importer, mapping, spans
from collections_app.dwca.mapping import TERMS
from collections_app.dwca.reader import open_archive
from collections_app.models import Collection, Specimen

from .dwca_support import import_dwca, occurrence, rejects_of, write_occurrences

IMPORTED = ("catalog_number", "occurrence_id", "scientific_name", "event_date", "locality")


@pytest.fixture
def producers(monkeypatch) -> list[int]:
    """How many producers each import's ``readers`` was given."""
    counts: list[int] = []
    real = importer.readers

    def counting(*given):
        counts.append(len(given))
        return real(*given)

    monkeypatch.setattr(importer, "readers", counting)
    return counts


def awkward_rows() -> list[tuple[str, ...]]:
    """Bad rows, and catalogue numbers repeated within a batch and across batches (of 3, so
    lines 2-4, 5-7, 8-10, 11-12: each range mapped by another process than the one before)."""
    return [
        occurrence(1),
        occurrence(2, catalogNumber=""),
        occurrence(3, eventDate="1921-02-30"),
        occurrence(4),
        occurrence(5, catalogNumber="ENT-00001"),  # line 6 repeats line 2, another range's
        occurrence(6, catalogNumber="ENT-00004"),  # line 7 repeats line 5, of its own range
        occurrence(7, institutionCode="OTHER"),
        occurrence(8, locality="Tab\\slash, ünïcødé"),
        occurrence(9),
        occurrence(10, catalogNumber="ENT-00009"),  # line 11 repeats line 10, the range before
        occurrence(11),
    ]


def imported(collection: Collection, archive: Path, tmp_path: Path, mappers: int) -> tuple:
    """What importing ``archive`` shows, then the collection emptied for the next import."""
    rejects = tmp_path / f"rejects-{mappers}.csv"
    summary = import_dwca(
        archive,
        collection,
        "--batch-size",
        "3",
        "--mappers",
        str(mappers),
        "--rejects",
        str(rejects),
    )
    catalogue = sorted(Specimen.objects.filter(collection=collection).values_list(*IMPORTED))
    Specimen.objects.filter(collection=collection).delete()
    return summary.replace(str(rejects), "REJECTS"), catalogue, rejects_of(rejects)


def test_several_mappers_give_the_single_readers_catalogue_rejects_and_summary(
    collection_a, tmp_path, producers
):
    archive = write_occurrences(tmp_path / "a.zip", awkward_rows())

    single = imported(collection_a, archive, tmp_path, mappers=1)
    parallel = imported(collection_a, archive, tmp_path, mappers=2)

    assert producers == [1, 2]
    assert parallel == single
    summary, catalogue, rejects = parallel
    assert summary.startswith("created 5, updated 0, unchanged 0, rejected 6")
    assert [number for number, *_values in catalogue] == [f"ENT-{n:05d}" for n in (1, 4, 8, 9, 11)]
    assert ("ENT-00008", "Tab\\slash, ünïcødé") in [(c[0], c[-1]) for c in catalogue]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        ("3", "catalogNumber is missing"),
        ("4", "eventDate '1921-02-30' is not an ISO 8601 date or interval"),
        ("6", "duplicate in archive: catalogNumber already on line 2"),
        ("7", "duplicate in archive: catalogNumber already on line 5"),
        (
            "8",
            "institutionCode 'OTHER' is not 'INSTA' of --collection "
            "(use --ignore-codes to import such rows anyway)",
        ),
        ("11", "duplicate in archive: catalogNumber already on line 10"),
    ]


def test_a_short_line_stops_both_ways_at_the_same_line_after_the_same_batches(
    collection_a, tmp_path
):
    rows = [occurrence(n) for n in range(1, 11)]
    rows[7] = rows[7][:4]  # line 9, in the third batch of 3
    archive = write_occurrences(tmp_path / "a.zip", rows)
    errors, kept = [], []
    for mappers in (1, 2):
        with pytest.raises(CommandError) as stopped:
            import_dwca(archive, collection_a, "--batch-size", "3", "--mappers", str(mappers))
        errors.append(str(stopped.value))
        kept.append(sorted(Specimen.objects.values_list("catalog_number", flat=True)))
        Specimen.objects.all().delete()

    assert errors[0] == errors[1]
    assert "Line 9 of occurrence.txt has fewer columns" in errors[1]
    assert kept[0] == kept[1] == [f"ENT-{n:05d}" for n in range(1, 7)]


def test_a_quoted_archive_is_read_by_one_process(collection_a, tmp_path, producers):
    archive = write_occurrences(
        tmp_path / "a.zip", [occurrence(n) for n in range(1, 8)], enclosure='"'
    )

    output = import_dwca(archive, collection_a, "--batch-size", "3", "--mappers", "2")

    assert producers == [1]
    assert output.startswith("created 7,")
    with open_archive(archive) as opened:
        assert opened.spans(3) is None


def unpacked(archive: Path, folder: Path, terminator: str) -> Path:
    """``archive`` unzipped, its lines ending in ``terminator`` (and meta.xml saying so)."""
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder)
    core = folder / "occurrence.txt"
    core.write_bytes(core.read_bytes().replace(b"\n", terminator.encode()))
    meta = folder / "meta.xml"
    declared = terminator.encode("unicode_escape").decode()
    meta.write_text(
        meta.read_text().replace('linesTerminatedBy="\\n"', f'linesTerminatedBy="{declared}"')
    )
    return folder


@pytest.mark.parametrize("terminator", ["\n", "\r\n"])
@pytest.mark.parametrize("header_lines", [0, 1, 2])
@pytest.mark.parametrize("final_terminator", [True, False])
def test_the_ranges_hold_every_row_once_as_the_whole_file_reads_it(
    tmp_path, monkeypatch, terminator, header_lines, final_terminator
):
    monkeypatch.setattr(spans, "CHUNK", 7)  # ranges and terminators across the chunks read
    rows = [occurrence(n, locality=f"Forêt {'é' * n}\r") for n in range(1, 12)]
    archive = write_occurrences(
        tmp_path / "a.zip", rows, header_lines=header_lines, encoding="UTF-8"
    )
    folder = unpacked(archive, tmp_path / "folder", terminator)
    core = folder / "occurrence.txt"
    if not final_terminator:
        core.write_bytes(core.read_bytes().removesuffix(terminator.encode()))

    with open_archive(folder) as opened:
        whole = list(opened.rows(TERMS))
        ranges = opened.spans(4)
        assert ranges is not None
        in_ranges = [row for span in ranges for row in opened.rows(TERMS, span)]

    assert in_ranges == whole
    assert len(whole) == 11
    assert [span.rows for span in ranges] == [4, 4, 3]
    assert [span.first_line for span in ranges] == [header_lines + 1 + n for n in (0, 4, 8)]


def test_a_byte_order_mark_is_skipped_at_the_start_of_the_file_only(tmp_path):
    """A UTF-8 file often starts with one (Excel); meta.xml still says UTF-8."""
    archive = write_occurrences(
        tmp_path / "a.zip", [occurrence(n) for n in range(1, 6)], header_lines=0
    )
    folder = unpacked(archive, tmp_path / "folder", "\n")
    core = folder / "occurrence.txt"
    core.write_bytes(b"\xef\xbb\xbf" + core.read_bytes())

    with open_archive(folder) as opened:
        ranges = opened.spans(2)
        assert ranges is not None
        in_ranges = [row for span in ranges for row in opened.rows(TERMS, span)]
        assert in_ranges == list(opened.rows(TERMS))
    assert in_ranges[0][1][0] == "ENT-00001"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("1921-06-14", True),
        ("1921-06", True),
        ("1921", True),
        ("2007-11-13/15", True),
        ("2007-11-13/2007-12-02", True),
        ("1921-06-14T10:30:00Z", True),
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("1921-02-30", False),
        ("1921-13", False),
        ("0000", False),
        ("1921-06-00", False),
        ("1921-6a-14", False),  # a day's shape (the quick path) with a letter for a digit
        ("+921-06-14", False),
        ("1921-06-1 ", False),
        ("1921-W06-1", False),  # ISO week dates are not eventDate's
        ("2007-11-13/2007-02-30", False),
        ("14 June 1921", False),
        ("١٩٢١-٠٦-١٤", True),  # digits the shape admits and int() reads, as before
        ("١٩٢١-٠٢-٣٠", False),
    ],
)
def test_event_dates_are_checked_against_the_calendar(value, accepted):
    assert mapping._is_iso_event_date(value) is accepted
