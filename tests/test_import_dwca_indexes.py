"""Large loads drop the specimen search indexes and rebuild them after; they always come back.

``--indexes rebuild`` and ``keep`` behave the same on both databases; ``auto`` weighs the load
on PostgreSQL only, so its expectations are per database. The lock tests need PostgreSQL's
``lock_timeout`` and run in CI's PostgreSQL pass.
"""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from bench.make_dwca import ArchiveSpec, make_archive
from collections_app.dwca import indexes
from collections_app.dwca.indexes import IndexMode, missing_indexes, should_defer
from collections_app.dwca.loaders import LOADERS
from collections_app.models import Specimen

from .dwca_support import import_dwca, interrupted_after_two_batches

ROWS = 300
ALL = sorted(index.name for index in Specimen._meta.indexes)


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "entomology.zip"
    make_archive(path, ArchiveSpec(rows=ROWS, seed=5, institution_code="INSTA"))
    return path


def index_names() -> list[str]:
    with connection.cursor() as cursor:
        present = connection.introspection.get_constraints(cursor, Specimen._meta.db_table)
    return sorted(name for name in present if name in ALL)


def missing_during_each_batch(monkeypatch) -> list[list[str]]:
    """Record, inside every batch of the database's loader, which indexes are missing."""
    loader, seen = LOADERS[connection.vendor], []
    load = loader.load

    def recording(self, records):
        seen.append(sorted(index.name for index in missing_indexes()))
        return load(self, records)

    monkeypatch.setattr(loader, "load", recording)
    return seen


def test_a_rebuild_load_runs_without_the_search_indexes_and_ends_with_all_of_them(
    collection_a, archive, monkeypatch
):
    during = missing_during_each_batch(monkeypatch)

    output = import_dwca(archive, collection_a, "--indexes", "rebuild", "--batch-size", "100")

    assert during == [ALL, ALL, ALL]
    assert index_names() == ALL
    assert Specimen.objects.filter(collection=collection_a).count() == ROWS
    assert f"Search indexes: {len(ALL)} rebuilt in " in output
    assert output.rstrip().endswith("after the load.")


def test_a_keep_load_keeps_them_live(collection_a, archive, monkeypatch):
    during = missing_during_each_batch(monkeypatch)

    output = import_dwca(archive, collection_a, "--indexes", "keep", "--batch-size", "100")

    assert during == [[], [], []]
    assert "Search indexes" not in output


def test_an_interrupted_rebuild_load_still_ends_with_every_index(
    collection_a, archive, monkeypatch
):
    interrupted_after_two_batches(monkeypatch)

    with pytest.raises(CommandError) as raised:
        import_dwca(archive, collection_a, "--indexes", "rebuild", "--batch-size", "100")

    assert raised.value.returncode == 130
    assert index_names() == ALL
    assert Specimen.objects.filter(collection=collection_a).count() == 100


def test_an_interruption_as_the_drop_commits_still_ends_with_every_index(
    collection_a, archive, monkeypatch
):
    """Ctrl-C landing after the drop's commit, before the drop has returned."""
    real = indexes.drop

    def drop_then_interrupted(*args, **kwargs):
        real(*args, **kwargs)
        assert index_names() == []
        raise KeyboardInterrupt

    monkeypatch.setattr(indexes, "drop", drop_then_interrupted)

    with pytest.raises(CommandError) as raised:
        import_dwca(archive, collection_a, "--indexes", "rebuild")

    assert raised.value.returncode == 130
    assert index_names() == ALL
    assert not Specimen.objects.filter(collection=collection_a).exists()


def test_an_import_first_rebuilds_what_a_killed_one_left_missing(collection_a, archive):
    indexes.drop(Specimen._meta.indexes)  # what an import killed during a large load leaves
    assert index_names() == []

    output = import_dwca(archive, collection_a, "--indexes", "keep")

    assert index_names() == ALL
    assert f"Search indexes: {len(ALL)} rebuilt in " in output
    assert "(missing before it)" in output


def test_specimen_indexes_reports_and_builds_the_missing_ones(db):
    half = Specimen._meta.indexes[: len(ALL) // 2]
    indexes.drop(half)

    with pytest.raises(CommandError) as raised:
        call_command("specimen_indexes", "--check", stdout=io.StringIO())
    assert str(raised.value).startswith(
        "Missing specimen search indexes: " + ", ".join(index.name for index in half)
    )

    stdout = io.StringIO()
    call_command("specimen_indexes", stdout=stdout)
    assert f"Built {len(half)} specimen search indexes in " in stdout.getvalue()
    assert index_names() == ALL

    stdout = io.StringIO()
    call_command("specimen_indexes", "--check", stdout=stdout)
    assert stdout.getvalue() == f"All {len(ALL)} specimen search indexes are present.\n"


# ``auto``: worth it for many new rows that are also a good share of the table.
AUTO_CASES = [
    # (rows in the archive, rows the collection has, rows elsewhere, defer on PostgreSQL)
    pytest.param(1_000, 0, 0, True, id="first-big-load"),
    pytest.param(999, 0, 0, False, id="too-few-rows"),
    pytest.param(1_000, 900, 0, False, id="re-import-mostly-updates"),
    pytest.param(1_000, 0, 3_000, True, id="a-quarter-of-the-table"),
    pytest.param(1_000, 0, 5_000, False, id="small-next-to-the-table"),
]


@pytest.mark.parametrize(("archive_rows", "own", "elsewhere", "on_postgresql"), AUTO_CASES)
def test_auto_defers_only_loads_where_a_rebuild_costs_less(
    collection_a, collection_b, monkeypatch, archive_rows, own, elsewhere, on_postgresql
):
    monkeypatch.setattr(indexes, "DEFER_MIN_ROWS", 1_000)
    for collection, count in ((collection_a, own), (collection_b, elsewhere)):
        Specimen.objects.bulk_create(
            Specimen(collection=collection, catalog_number=f"N-{n}") for n in range(count)
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Specimen._meta.db_table}")

    decided = should_defer(IndexMode.AUTO, collection_a, archive_rows)

    assert decided is (on_postgresql and connection.vendor == "postgresql")
    assert should_defer(IndexMode.KEEP, collection_a, archive_rows) is False
    assert should_defer(IndexMode.REBUILD, collection_a, archive_rows) is True


class SearchInProgress:
    """Another connection reading the specimen table in a long transaction (PostgreSQL)."""

    def __init__(self) -> None:
        self.locked, self.released = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._search)

    def _search(self) -> None:
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(f"LOCK TABLE {Specimen._meta.db_table} IN ACCESS SHARE MODE")
                self.locked.set()
                self.released.wait(10)
                cursor.execute("ROLLBACK")
        finally:
            other.close()

    def __enter__(self) -> SearchInProgress:
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def end(self) -> None:
        self.released.set()
        self.thread.join()

    def __exit__(self, *exc_info: object) -> None:
        self.end()


@pytest.fixture
def quick_retries(monkeypatch) -> list[int]:
    """Short waits for the table, and the attempts the import makes to drop its indexes."""
    monkeypatch.setattr(indexes, "DROP_LOCK_TIMEOUT", "100ms")
    monkeypatch.setattr(indexes, "DROP_PAUSE_SECONDS", 0.05)
    attempts: list[int] = []
    drop_once = indexes._drop_once

    def counted(*args):
        attempts.append(1)
        return drop_once(*args)

    monkeypatch.setattr(indexes, "_drop_once", counted)
    return attempts


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="lock_timeout is PostgreSQL's; CI runs both"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_table_that_stays_busy_fails_the_import_clearly_and_changes_nothing(
    collection_a, archive, quick_retries
):
    with SearchInProgress(), pytest.raises(CommandError) as raised:
        import_dwca(archive, collection_a, "--indexes", "rebuild")

    assert len(quick_retries) == indexes.DROP_ATTEMPTS
    assert "Could not drop the search indexes for this large load" in str(raised.value)
    assert "--indexes keep" in str(raised.value)
    assert index_names() == ALL
    assert not Specimen.objects.filter(collection=collection_a).exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_search_that_ends_lets_the_next_attempt_drop_them(
    collection_a, archive, quick_retries, monkeypatch
):
    with SearchInProgress() as search:
        failing_once = indexes._drop_once

        def first_attempt_then_the_search_ends(*args):
            try:
                return failing_once(*args)
            finally:
                search.end()

        monkeypatch.setattr(indexes, "_drop_once", first_attempt_then_the_search_ends)
        output = import_dwca(archive, collection_a, "--indexes", "rebuild")

    assert len(quick_retries) == 2
    assert "after the load." in output
    assert index_names() == ALL
    assert Specimen.objects.filter(collection=collection_a).count() == ROWS


def test_specimen_indexes_on_an_unmigrated_database_says_to_migrate(db, monkeypatch):
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])

    with pytest.raises(CommandError) as raised:
        call_command("specimen_indexes", stdout=io.StringIO())

    assert str(raised.value) == "This database has no specimens yet: run manage.py migrate."


def test_the_longest_builds_are_taken_first(db):
    """Whole indexes before partial ones, then more key parts, then more computed ones: the
    two builders end together instead of one finishing a long build alone."""
    built: list[str] = []
    real = indexes._build_here

    def record(missing):
        built.extend(index.name for index in missing)
        real(missing)

    indexes.drop(Specimen._meta.indexes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(indexes, "_build_here", record)
        patch.setattr(indexes, "_build_at_once", lambda missing, _builders: record(missing))
        indexes.build_missing()

    assert built == [
        "specimen_family_country_idx",
        "specimen_family_name_idx",
        "specimen_country_name_idx",
        "specimen_collection_name_idx",
        "specimen_catalog_upper_idx",
        "specimen_name_key_idx",
        "specimen_updated_idx",
        "specimen_type_family_idx",
        "specimen_type_country_idx",
        "specimen_type_name_idx",
    ]
    assert index_names() == ALL


def _build_memory() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW maintenance_work_mem")
        return cursor.fetchone()[0]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="maintenance_work_mem is PostgreSQL's; CI runs both"
)
def test_each_build_sorts_in_the_memory_set_for_it_and_the_session_gets_its_own_back(db, settings):
    settings.DWCA_INDEX_BUILD_MEMORY = "3MB"
    before = _build_memory()
    during: list[str] = []

    def observe(execute, sql, params, many, context):
        if sql.startswith("CREATE INDEX"):
            during.append(_build_memory())
        return execute(sql, params, many, context)

    indexes.drop(Specimen._meta.indexes)
    with connection.execute_wrapper(observe):
        indexes.build_missing()

    assert during == ["3MB"] * len(ALL)
    assert _build_memory() == before != "3MB"
    assert index_names() == ALL
