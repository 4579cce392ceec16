"""``bench/make_dwca.py N`` writes a realistic, deterministic archive of exactly N occurrences."""

from __future__ import annotations

import csv
import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from bench.make_dwca import COLUMNS, ArchiveSpec, main, make_archive
from collections_app.demo.places import REGIONS
from collections_app.demo.taxa import FAMILIES, TAXA


def rows_of(path: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        text = archive.read("occurrence.txt").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.mark.parametrize("rows", [0, 1, 2500])
def test_an_archive_of_n_rows_has_n_data_rows_under_a_gbif_header(tmp_path, rows):
    path = tmp_path / "n.zip"

    make_archive(path, ArchiveSpec(rows=rows))

    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["meta.xml", "metadata.xml", "occurrence.txt"]
        lines = archive.read("occurrence.txt").decode("utf-8").splitlines()
        meta = archive.read("meta.xml").decode("utf-8")
    assert len(lines) == rows + 1
    assert lines[0].split("\t")[:3] == ["gbifID", "license", "modified"]
    assert meta.count("<field ") == len(COLUMNS)
    assert 'rowType="http://rs.tdwg.org/dwc/terms/Occurrence"' in meta


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_rows(tmp_path):
    first, again, other = tmp_path / "1.zip", tmp_path / "1-again.zip", tmp_path / "2.zip"

    make_archive(first, ArchiveSpec(rows=500, seed=1))
    make_archive(again, ArchiveSpec(rows=500, seed=1))
    make_archive(other, ArchiveSpec(rows=500, seed=2))

    assert first.read_bytes() == again.read_bytes()
    assert rows_of(first) != rows_of(other)


def test_rows_use_the_curated_taxa_and_places_with_unique_catalogue_numbers(tmp_path):
    path = tmp_path / "real.zip"

    make_archive(path, ArchiveSpec(rows=2000, institution_code="CSIC (MNCN)"))

    rows = rows_of(path)
    places = {place for region in REGIONS.values() for place in region}
    assert {row["family"] for row in rows} <= set(TAXA["insects"])
    assert {row["family"] for row in rows} <= FAMILIES
    assert {(row["countryCode"], row["locality"]) for row in rows} <= places
    assert any(not row["locality"].isascii() for row in rows)
    assert len({row["catalogNumber"] for row in rows}) == 2000
    assert {row["institutionCode"] for row in rows} == {"CSIC (MNCN)"}
    types = [row["typeStatus"] for row in rows if row["typeStatus"]]
    assert 0 < len(types) < 200


def test_the_collection_code_chooses_the_taxonomic_group(tmp_path):
    path = tmp_path / "herbarium.zip"

    make_archive(path, ArchiveSpec(rows=300, collection_code="HERB"))

    assert {row["family"] for row in rows_of(path)} <= set(TAXA["plants"])


def test_an_edited_archive_changes_about_the_fraction_asked_and_counts_them(tmp_path):
    base, edited_path = tmp_path / "base.zip", tmp_path / "edited.zip"
    make_archive(base, ArchiveSpec(rows=2000, seed=5))

    edited = make_archive(edited_path, ArchiveSpec(rows=2000, seed=5, edit_fraction=0.05))

    before, after = rows_of(base), rows_of(edited_path)
    changed = [old for old, new in zip(before, after, strict=True) if old != new]
    assert [row["catalogNumber"] for row in before] == [row["catalogNumber"] for row in after]
    assert len(changed) == edited.edited
    assert 50 < edited.edited < 150


def test_memory_stays_flat_whatever_the_number_of_rows(tmp_path):
    def peak(rows: int) -> int:
        tracemalloc.start()
        make_archive(tmp_path / f"{rows}.zip", ArchiveSpec(rows=rows))
        _current, highest = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return highest

    assert peak(10_000) < 1.5 * peak(1_000)


def test_the_command_line_writes_the_archive_it_describes(tmp_path, capsys):
    out = tmp_path / "cli.zip"

    status = main(["40", "--out", str(out), "--seed", "9", "--collection-code", "MAM"])

    assert status == 0
    assert capsys.readouterr().out == f"{out}: 40 occurrences (0 edited)\n"
    assert {row["collectionCode"] for row in rows_of(out)} == {"MAM"}
    assert len(rows_of(out)) == 40


@pytest.mark.parametrize("arguments", [["-1"], ["10", "--edit-fraction", "1.5"]])
def test_the_command_line_refuses_impossible_requests(arguments, capsys):
    with pytest.raises(SystemExit) as exited:
        main(arguments)

    assert exited.value.code == 2
    assert "must be" in capsys.readouterr().err
