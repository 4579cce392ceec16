"""Large PostgreSQL loads set the key from specimens to their collection aside, and it comes back.

The key goes with the search indexes (``--indexes rebuild``, or ``auto`` for a big load) and
returns validated however the load ends; a killed import leaves it to the next import or to
``manage.py specimen_indexes``; each batch locks its collection instead of each row's check.
SQLite keeps its key, so these run in CI's PostgreSQL pass.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from bench.make_dwca import ArchiveSpec, make_archive
from collections_app.dwca import collection_key, indexes
from collections_app.dwca.loaders import LOADERS
from collections_app.dwca.report import ImportTotals
from collections_app.models import Collection, Specimen

from .dwca_support import import_dwca, interrupted_after_two_batches

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's key; CI runs both databases"
)

ROWS = 300


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "entomology.zip"
    make_archive(path, ArchiveSpec(rows=ROWS, seed=5, institution_code="INSTA"))
    return path


def key() -> collection_key.KeyState | None:
    with connection.cursor() as cursor:
        return collection_key.state(cursor)


def validated_key_named_as_migrated() -> bool:
    """The key, validated, with the name and definition its migration gave it."""
    found = key()
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Specimen._meta.db_table)
    assert found is not None
    definition = constraints[found.name]
    return (
        found.validated
        and definition["foreign_key"] == (Collection._meta.db_table, "id")
        and found.name.startswith("collections_app_spec_collection_id_")
    )


def key_during_each_batch(monkeypatch) -> list[collection_key.KeyState | None]:
    loader, seen = LOADERS[connection.vendor], []
    load = loader.load

    def recording(self, records):
        seen.append(key())
        return load(self, records)

    monkeypatch.setattr(loader, "load", recording)
    return seen


def test_a_rebuild_load_runs_without_the_key_and_ends_with_it_validated(
    collection_a, archive, monkeypatch
):
    before = key()
    during = key_during_each_batch(monkeypatch)

    import_dwca(archive, collection_a, "--indexes", "rebuild", "--batch-size", "100")

    assert during == [None, None, None]
    assert key() == before
    assert validated_key_named_as_migrated()
    assert Specimen.objects.filter(collection=collection_a).count() == ROWS


def test_a_keep_load_keeps_the_key(collection_a, archive, monkeypatch):
    before = key()
    during = key_during_each_batch(monkeypatch)

    import_dwca(archive, collection_a, "--indexes", "keep", "--batch-size", "100")

    assert during == [before, before, before]


def test_an_interrupted_rebuild_load_still_ends_with_the_key(collection_a, archive, monkeypatch):
    interrupted_after_two_batches(monkeypatch)

    with pytest.raises(CommandError) as raised:
        import_dwca(archive, collection_a, "--indexes", "rebuild", "--batch-size", "100")

    assert raised.value.returncode == 130
    assert validated_key_named_as_migrated()


def test_an_import_first_restores_the_key_a_killed_one_left_out(collection_a, archive):
    indexes.drop([], key=True)  # what an import killed during a large load leaves
    assert key() is None
    assert collection_key.missing()

    output = import_dwca(archive, collection_a, "--indexes", "keep")

    assert validated_key_named_as_migrated()
    assert str(indexes.KEY_RESTORED) in output


def test_specimen_indexes_reports_and_restores_the_key(db):
    indexes.drop([], key=True)

    with pytest.raises(CommandError) as raised:
        call_command("specimen_indexes", "--check", stdout=io.StringIO())
    assert str(raised.value) == (
        "Missing specimen search indexes: the key from specimens to their collection. "
        "Run manage.py specimen_indexes."
    )

    stdout = io.StringIO()
    call_command("specimen_indexes", stdout=stdout)
    assert stdout.getvalue() == f"{indexes.KEY_RESTORED}\n"
    assert validated_key_named_as_migrated()
    call_command("specimen_indexes", "--check", stdout=io.StringIO())


def test_a_key_left_not_valid_is_validated(db):
    found = key()
    assert found is not None
    table = Specimen._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{found.name}"')
        cursor.execute(
            f'ALTER TABLE {table} ADD CONSTRAINT "{found.name}" FOREIGN KEY (collection_id) '
            f"REFERENCES {Collection._meta.db_table} (id) DEFERRABLE INITIALLY DEFERRED NOT VALID"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert collection_key.missing()

    call_command("specimen_indexes", stdout=io.StringIO())

    assert key() == found


def test_a_collection_deleted_during_the_load_stops_it_before_its_next_batch(
    collection_a, archive, monkeypatch
):
    add = ImportTotals.add

    def deleted_after_the_first_batch(self, *args):
        add(self, *args)  # the batch is committed: the admin deletes the collection
        Collection.objects.filter(pk=collection_a.pk).delete()

    monkeypatch.setattr(ImportTotals, "add", deleted_after_the_first_batch)

    with pytest.raises(CommandError) as raised:
        import_dwca(archive, collection_a, "--indexes", "rebuild", "--batch-size", "100")

    assert "The collection was deleted during the import; it stopped there." in str(raised.value)
    assert "100 rows" in str(raised.value)
    assert not Specimen.objects.filter(collection_id=collection_a.pk).exists()
    assert validated_key_named_as_migrated()


@pytest.mark.django_db(transaction=True)
def test_rows_naming_no_collection_fail_the_key_loudly_and_leave_it_checking_new_rows(
    collection_a,
):
    specimen = Specimen.objects.create(collection=collection_a, catalog_number="ORPHAN-1")
    indexes.drop([], key=True)
    with connection.cursor() as cursor:  # written without the key by something else
        cursor.execute(
            f"UPDATE {Specimen._meta.db_table} SET collection_id = %s WHERE id = %s",
            [collection_a.pk + 1000, specimen.pk],
        )

    with pytest.raises(CommandError) as raised:
        call_command("specimen_indexes", stdout=io.StringIO())

    assert str(raised.value).startswith(
        "Some specimens name a collection that does not exist, so the key from specimens to "
        "collections could not be validated ("
    )
    assert str(raised.value).endswith("then run manage.py specimen_indexes.")
    found = key()
    assert found is not None and not found.validated
    Specimen.objects.filter(pk=specimen.pk).delete()
    call_command("specimen_indexes", stdout=io.StringIO())
    assert validated_key_named_as_migrated()
