"""Re-importing changes nothing; an edited archive updates exactly the rows that changed.

``updated_at`` only moves on rows that really changed, so partners syncing with
``updated_after`` fetch the edits and nothing else.
"""

from __future__ import annotations

import pytest

from bench.make_dwca import ArchiveSpec, make_archive
from collections_app.models import Specimen

from .dwca_support import import_dwca

ROWS = 1200


def snapshot(collection) -> dict[str, tuple]:
    return {
        number: rest
        for number, *rest in Specimen.objects.filter(collection=collection).values_list(
            "catalog_number",
            "scientific_name",
            "type_status",
            "locality",
            "updated_at",
        )
    }


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "entomology.zip"
    make_archive(path, ArchiveSpec(rows=ROWS, seed=7, institution_code="INSTA"))
    return path


@pytest.mark.parametrize("batch_size", ["50000", "100"])
def test_re_importing_the_same_archive_changes_nothing(collection_a, archive, batch_size):
    first = import_dwca(archive, collection_a, "--batch-size", batch_size)
    before = snapshot(collection_a)

    again = import_dwca(archive, collection_a, "--batch-size", batch_size)

    assert first.startswith(f"created {ROWS}, updated 0, unchanged 0, rejected 0")
    assert again.startswith(f"created 0, updated 0, unchanged {ROWS}, rejected 0")
    assert snapshot(collection_a) == before


@pytest.mark.parametrize("batch_size", ["50000", "100"])
def test_an_edited_archive_updates_only_the_rows_that_changed(
    collection_a, archive, tmp_path, batch_size
):
    import_dwca(archive, collection_a, "--batch-size", batch_size)
    before = snapshot(collection_a)
    edited_path = tmp_path / "entomology-edited.zip"
    edited = make_archive(
        edited_path, ArchiveSpec(rows=ROWS, seed=7, institution_code="INSTA", edit_fraction=0.1)
    )

    output = import_dwca(edited_path, collection_a, "--batch-size", batch_size)

    after = snapshot(collection_a)
    changed = {number for number in after if after[number][:-1] != before[number][:-1]}
    moved = {number for number in after if after[number][-1] != before[number][-1]}
    assert 60 < edited.edited < 180
    assert output.startswith(
        f"created 0, updated {edited.edited}, unchanged {ROWS - edited.edited}, rejected 0"
    )
    assert len(changed) == edited.edited
    assert moved == changed
    assert all(after[number][-1] > before[number][-1] for number in moved)


def test_a_specimen_marked_unavailable_stays_so_when_its_row_is_updated(
    collection_a, archive, tmp_path
):
    import_dwca(archive, collection_a)
    on_loan = Specimen.objects.filter(collection=collection_a).order_by("catalog_number").first()
    Specimen.objects.filter(pk=on_loan.pk).update(is_available=False, locality="old")

    output = import_dwca(archive, collection_a)

    on_loan.refresh_from_db()
    assert output.startswith(f"created 0, updated 1, unchanged {ROWS - 1}")
    assert on_loan.locality != "old"
    assert on_loan.is_available is False


def test_rows_missing_from_a_new_archive_are_kept(collection_a, archive, tmp_path):
    import_dwca(archive, collection_a)
    smaller = tmp_path / "smaller.zip"
    make_archive(smaller, ArchiveSpec(rows=ROWS // 2, seed=7, institution_code="INSTA"))

    output = import_dwca(smaller, collection_a)

    assert output.startswith(f"created 0, updated 0, unchanged {ROWS // 2}")
    assert Specimen.objects.filter(collection=collection_a).count() == ROWS
