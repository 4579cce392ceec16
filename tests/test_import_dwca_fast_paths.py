"""The import's fast paths: the reader process, and on PostgreSQL the direct load into an
empty collection (no merge), which turns into a merge at the first repeated catalogue number."""

from __future__ import annotations

import gc
import multiprocessing
import os

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.dwca import indexes, readahead
from collections_app.dwca.errors import ImportFailed
from collections_app.dwca.importer import ImportRun
from collections_app.dwca.indexes import IndexMode
from collections_app.dwca.loaders import LOADERS, postgres
from collections_app.models import Specimen

from .dwca_support import import_dwca, occurrence, rejects_of, write_occurrences


def merges(captured: CaptureQueriesContext) -> int:
    return sum("DO UPDATE" in query["sql"] for query in captured.captured_queries)


def staged(captured: CaptureQueriesContext) -> int:
    """Batches that went through staging (each one empties it first)."""
    emptied = "TRUNCATE pg_temp.elvis_dwca_staging"
    return sum(query["sql"].startswith(emptied) for query in captured.captured_queries)


def test_batches_are_read_and_mapped_in_another_process_ahead_of_the_loading():
    def produce():
        for number in range(5):
            yield number, os.getpid()

    with readahead.readers(produce) as items:
        produced = list(items)

    assert [number for number, _pid in produced] == list(range(5))
    assert {pid for _number, pid in produced} != {os.getpid()}
    assert multiprocessing.active_children() == []


def test_a_reader_leaves_its_inherited_heap_to_the_collector_and_collects_rarely():
    def produce():
        yield gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()

    ours = gc.get_threshold(), gc.get_freeze_count()
    with readahead.readers(produce) as items:
        [(enabled, thresholds, frozen)] = items

    assert enabled  # a cycle, if a producer ever made one, is still collected
    assert thresholds == readahead.READER_GC_THRESHOLDS
    assert thresholds[0] >= 50 * ours[0][0]
    assert frozen > ours[1] + 10_000  # Django and the app, as the fork brought them
    assert (gc.get_threshold(), gc.get_freeze_count()) == ours  # the importer's own unchanged


def test_a_failure_in_the_reader_reaches_the_loading_after_the_batches_before_it():
    def produce():
        yield 1
        raise ImportFailed("line 3 is damaged")

    with readahead.readers(produce) as produced:
        assert next(produced) == 1
        with pytest.raises(ImportFailed, match="line 3 is damaged"):
            next(produced)
    assert multiprocessing.active_children() == []


def test_several_readers_are_taken_in_turn_until_one_has_no_more():
    def every_other(first):
        def produce():
            for number in range(first, 7, 2):
                yield number, os.getpid()

        return produce

    with readahead.readers(every_other(0), every_other(1)) as items:
        produced = list(items)

    assert [number for number, _pid in produced] == list(range(7))
    assert len({pid for _number, pid in produced}) == 2
    assert multiprocessing.active_children() == []


def test_a_failure_in_one_of_several_readers_arrives_in_its_turn():
    def evens():
        yield from (0, 2, 4, 6)

    def odds():
        yield 1
        raise ImportFailed("line 3 is damaged")

    with readahead.readers(evens, odds) as produced:
        assert [next(produced) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(ImportFailed, match="line 3 is damaged"):
            next(produced)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("mappers", ["1", "2"])
def test_an_interrupted_import_leaves_no_reader_process(
    collection_a, tmp_path, monkeypatch, mappers
):
    archive = write_occurrences(tmp_path / "a.zip", [occurrence(n) for n in range(1, 40)])
    loader = LOADERS[connection.vendor]

    def interrupted(self, records):
        raise KeyboardInterrupt

    monkeypatch.setattr(loader, "load", interrupted)

    with pytest.raises(CommandError):
        import_dwca(archive, collection_a, "--batch-size", "5", "--mappers", mappers)

    assert multiprocessing.active_children() == []


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's loader")
def test_an_empty_collection_is_loaded_directly_and_a_full_one_merged(collection_a, tmp_path):
    archive = write_occurrences(tmp_path / "a.zip", [occurrence(n) for n in range(1, 9)])

    with CaptureQueriesContext(connection) as first:
        import_dwca(archive, collection_a, "--batch-size", "3")
    with CaptureQueriesContext(connection) as again:
        output = import_dwca(archive, collection_a, "--batch-size", "3")

    assert (staged(first), merges(first)) == (0, 0)
    assert staged(again) == 3
    assert merges(again) == 0  # nothing changed: nothing to write
    assert output.startswith("created 0, updated 0, unchanged 8, rejected 0")


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's loader")
def test_a_direct_load_meeting_a_repeated_catalogue_number_merges_from_that_batch_on(
    collection_a, tmp_path
):
    rows = [occurrence(n) for n in range(1, 7)]
    rows[4] = occurrence(1, locality="later")  # line 6, batch 3 repeats line 2 of batch 1
    archive = write_occurrences(tmp_path / "dupes.zip", [*rows, occurrence(7), occurrence(8)])

    with CaptureQueriesContext(connection) as captured:
        output = import_dwca(archive, collection_a, "--batch-size", "2")

    assert merges(captured) == 2  # batches 3 and 4: batches 1 and 2 were direct
    assert output.startswith("created 7, updated 0, unchanged 0, rejected 1")
    assert [(row["line"], row["reason"]) for row in rejects_of(tmp_path / "dupes.rejects.csv")] == [
        ("6", "duplicate in archive: catalogNumber already on line 2")
    ]
    assert Specimen.objects.get(catalog_number="ENT-00001").locality != "later"
    assert Specimen.objects.filter(collection=collection_a).count() == 7


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's own connections")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_indexes_are_rebuilt_by_several_connections_at_once(
    collection_a, tmp_path
):
    archive = write_occurrences(tmp_path / "a.zip", [occurrence(n) for n in range(1, 30)])
    dropped = [index.name for index in Specimen._meta.indexes]

    run = ImportRun(archive, collection_a, indexes=IndexMode.REBUILD)
    run.execute()

    assert run.indexes.connections == indexes.BUILDERS > 1
    assert run.indexes.rebuilt == len(dropped)
    assert indexes.missing_indexes() == []
    assert Specimen.objects.filter(collection=collection_a).count() == 29


def test_inside_a_transaction_they_are_rebuilt_on_its_own_connection(collection_a, tmp_path):
    archive = write_occurrences(tmp_path / "a.zip", [occurrence(n) for n in range(1, 30)])

    run = ImportRun(archive, collection_a, indexes=IndexMode.REBUILD)
    run.execute()

    assert run.indexes.connections == 1
    assert indexes.missing_indexes() == []


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's loader")
def test_the_first_merge_counts_a_collection_the_planner_thinks_empty_again(collection_a, tmp_path):
    """The planner's count of a collection it thinks empty (rows of this import's direct
    batches, or of an earlier import never counted since) picks any index that starts with the
    collection for each probe, reading all those rows (minutes a batch): the loader runs
    ANALYZE once before its first merge, in a first import that turns to merging and in a
    re-import."""
    rows = [occurrence(n) for n in range(1, 7)]
    rows[4] = occurrence(1, locality="later")  # batch 3 repeats batch 1: merges from there
    archive = write_occurrences(tmp_path / "dupes.zip", [*rows, occurrence(7), occurrence(8)])

    with CaptureQueriesContext(connection) as first:
        import_dwca(archive, collection_a, "--batch-size", "2")
    with CaptureQueriesContext(connection) as again:
        import_dwca(archive, collection_a, "--batch-size", "2")

    analyze = f'ANALYZE "{Specimen._meta.db_table}" ("collection_id")'
    for captured in (first, again):
        statements = [query["sql"] for query in captured.captured_queries]
        analyzed = [i for i, sql in enumerate(statements) if sql.startswith("ANALYZE")]
        probed = [i for i, sql in enumerate(statements) if sql.startswith("SELECT staged.line")]
        assert [statements[i] for i in analyzed] == [analyze]
        assert analyzed[0] < probed[0]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's loader")
def test_a_collection_the_planner_counts_right_is_not_counted_again(
    collection_a, tmp_path, monkeypatch
):
    """ANALYZE only where the planner's count is below ``ANALYZE_BELOW_ROWS``."""
    monkeypatch.setattr(postgres, "ANALYZE_BELOW_ROWS", 0)  # any count is right
    archive = write_occurrences(tmp_path / "a.zip", [occurrence(n) for n in range(1, 5)])
    import_dwca(archive, collection_a)

    with CaptureQueriesContext(connection) as captured:
        output = import_dwca(archive, collection_a)

    assert output.startswith("created 0, updated 0, unchanged 4")
    assert [q for q in captured.captured_queries if q["sql"].startswith("SELECT staged.line")]
    assert not [q for q in captured.captured_queries if q["sql"].startswith("ANALYZE")]
