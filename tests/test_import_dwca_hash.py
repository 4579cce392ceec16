"""A re-import compares each row's stored import hash, not its columns; any other edit of an
imported value forgets the hash, so a hash never hides a change. Runs on both databases."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.make_dwca import ArchiveSpec, make_archive
from collections_app.dwca.mapping import FIELD_NAMES
from collections_app.dwca.rowhash import row_hash
from collections_app.models import Specimen

from .dwca_support import import_dwca

ROWS = 120


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "entomology.zip"
    make_archive(path, ArchiveSpec(rows=ROWS, seed=11, institution_code="INSTA"))
    return path


def first(collection) -> Specimen:
    return Specimen.objects.filter(collection=collection).order_by("catalog_number").first()


def test_every_imported_row_stores_a_hash_that_depends_on_its_values_only(
    collection_a, collection_b, archive
):
    import_dwca(archive, collection_a, "--batch-size", "50")
    import_dwca(archive, collection_b, "--batch-size", "70", "--ignore-codes")

    def hashes(collection) -> dict[str, int]:
        return dict(
            Specimen.objects.filter(collection=collection).values_list(
                "catalog_number", "import_hash"
            )
        )

    stored = hashes(collection_a)
    assert len(stored) == ROWS
    assert None not in stored.values()
    assert len(set(stored.values())) == ROWS  # every row's values differ (its occurrenceID)
    assert hashes(collection_b) == stored


def test_a_re_import_compares_the_hash_and_not_the_columns(collection_a, archive):
    import_dwca(archive, collection_a)
    specimen = first(collection_a)
    with connection.cursor() as cursor:  # behind the ORM's back: the hash stays as it was
        cursor.execute(
            f"UPDATE {Specimen._meta.db_table} SET locality = %s WHERE id = %s",
            ["written by hand", specimen.pk],
        )

    output = import_dwca(archive, collection_a)

    assert output.startswith(f"created 0, updated 0, unchanged {ROWS}")
    specimen.refresh_from_db()
    assert specimen.locality == "written by hand"


@pytest.mark.parametrize("edit", ["save", "update", "bulk_update"])
def test_an_edit_through_the_orm_forgets_the_hash_and_the_re_import_restores_the_row(
    collection_a, archive, edit
):
    import_dwca(archive, collection_a)
    specimen = first(collection_a)
    imported = specimen.locality
    if edit == "save":
        specimen.locality = "edited"
        specimen.save(update_fields=["locality"])
    elif edit == "update":
        Specimen.objects.filter(pk=specimen.pk).update(locality="edited")
    else:
        specimen.locality = "edited"
        Specimen.objects.bulk_update([specimen], ["locality"])
    specimen.refresh_from_db()
    assert (specimen.locality, specimen.import_hash) == ("edited", None)

    output = import_dwca(archive, collection_a)

    assert output.startswith(f"created 0, updated 1, unchanged {ROWS - 1}")
    specimen.refresh_from_db()
    assert specimen.locality == imported
    assert specimen.import_hash is not None


def test_an_edit_of_other_fields_keeps_the_hash(collection_a, archive):
    import_dwca(archive, collection_a)
    specimen = first(collection_a)
    stored = specimen.import_hash

    specimen.is_available = False
    specimen.save(update_fields=["is_available"])
    Specimen.objects.filter(pk=specimen.pk).update(is_available=True)

    specimen.refresh_from_db()
    assert specimen.import_hash == stored


def test_a_row_without_a_hash_but_the_same_values_is_unchanged_and_gets_its_hash(
    collection_a, archive
):
    """What the first re-import after the hash's migration meets: NULL on every row."""
    import_dwca(archive, collection_a)
    Specimen.objects.filter(collection=collection_a).update(import_hash=None)
    before = dict(Specimen.objects.filter(collection=collection_a).values_list("pk", "updated_at"))

    output = import_dwca(archive, collection_a, "--batch-size", "50")

    assert output.startswith(f"created 0, updated 0, unchanged {ROWS}")
    after = Specimen.objects.filter(collection=collection_a).values_list(
        "pk", "updated_at", "import_hash"
    )
    assert {pk: updated for pk, updated, _hash in after} == before
    assert all(digest is not None for _pk, _updated, digest in after)


def test_both_databases_store_the_readers_hash_of_the_imported_values(collection_a, archive):
    import_dwca(archive, collection_a, "--batch-size", "50")

    specimens = Specimen.objects.filter(collection=collection_a)
    assert specimens.count() == ROWS
    for specimen in specimens:
        values = [getattr(specimen, name) for name in FIELD_NAMES]
        assert specimen.import_hash == row_hash(values), specimen.catalog_number


def test_the_hash_of_a_row_is_xxh3_of_its_values_and_stays_the_same_across_releases():
    """Pinned: a release that changed it would make the next re-import of every catalogue
    rewrite every row's hash (correct, but a full write where nothing changed)."""
    values = ("urn:catalog:INSTA:ENT:1", "Carabus auratus", "carabus auratus", "Carabidae")
    values += ("", "FR", "Forêt", "1921-06-14", "pinned")

    assert row_hash(values) == 291552462629383467
    # XXH3's unsigned 16929150178197425425 as the signed 64-bit number a bigint column holds.
    assert row_hash(("x",)) == 16929150178197425425 - 2**64


def test_a_hash_an_earlier_release_computed_otherwise_is_replaced_without_a_change(
    collection_a, archive
):
    """PostgreSQL's loader once hashed in SQL: such a row's values are the same, its hash not."""
    import_dwca(archive, collection_a)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Specimen._meta.db_table} SET import_hash = import_hash + 1 "
            "WHERE collection_id = %s",
            [collection_a.pk],
        )
    before = dict(Specimen.objects.filter(collection=collection_a).values_list("pk", "updated_at"))

    output = import_dwca(archive, collection_a, "--batch-size", "50")

    assert output.startswith(f"created 0, updated 0, unchanged {ROWS}")
    after = Specimen.objects.filter(collection=collection_a)
    assert dict(after.values_list("pk", "updated_at")) == before
    for specimen in after:
        values = [getattr(specimen, name) for name in FIELD_NAMES]
        assert specimen.import_hash == row_hash(values)
