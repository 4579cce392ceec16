"""A merging import's readers ask the database which rows are new or changed, on connections
of their own, and write only those rows' values (PostgreSQL, outside a caller's transaction;
inside one the loader probes on its own connection, as every other test here shows)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from collections_app.dwca.loaders import loader_for
from collections_app.models import Specimen

from .dwca_support import COLUMNS, import_dwca, occurrence, write_occurrences
from .test_import_dwca_loaders import mapped, record

pytestmark = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL's readers' own connections"
)
#: The loader's own probe of a staged batch: what the readers' probes spare it.
LOADERS_PROBE = "SELECT staged.line FROM pg_temp.elvis_dwca_staging"
#: Every row's locality in the first archive.
LOCALITY = occurrence(1)[[term.rsplit("/", 1)[1] for term in COLUMNS].index("locality")]


def other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mappers", ["1", "3"])
def test_a_re_import_finds_new_changed_edited_and_repeated_rows_exactly(
    collection_a, tmp_path, mappers
):
    rows = [occurrence(n) for n in range(1, 13)]
    import_dwca(write_occurrences(tmp_path / "a.zip", rows), collection_a, "--batch-size", "4")
    edited_here = Specimen.objects.get(catalog_number="ENT-00003")
    edited_here.locality = "edited here"
    edited_here.save(update_fields=["locality"])  # the hash forgotten: the import restores it
    changed = [*rows, occurrence(13)]
    changed[5] = occurrence(6, locality="Arles")
    changed[9] = occurrence(1, locality="later")  # repeats line 2, in batch 1: a duplicate
    archive = write_occurrences(tmp_path / "b.zip", changed)
    before = other_backends()

    with CaptureQueriesContext(connection) as captured:
        output = import_dwca(archive, collection_a, "--batch-size", "4", "--mappers", mappers)

    assert output.startswith("created 1, updated 2, unchanged 9, rejected 1")
    assert not [q for q in captured.captured_queries if q["sql"].startswith(LOADERS_PROBE)]
    localities = dict(Specimen.objects.values_list("catalog_number", "locality"))
    assert localities["ENT-00003"] == localities["ENT-00001"] == LOCALITY
    assert (localities["ENT-00006"], localities["ENT-00013"]) == ("Arles", LOCALITY)
    assert other_backends() == before  # each reader's connection closed with it
    assert import_dwca(archive, collection_a, "--batch-size", "4").startswith(
        "created 0, updated 0, unchanged 12, rejected 1"
    )


@pytest.mark.django_db(transaction=True)
def test_a_probed_batch_carries_the_values_of_the_rows_found_changed_only(collection_a):
    with loader_for(collection_a) as active, transaction.atomic():
        active.load(mapped([record(2, 1), record(3, 2), record(4, 3)]))
    odd = "Bois\tde \\N la\nCambre"
    again = [record(2, 1), record(3, 2, locality=odd), record(4, 3), record(5, 4)]

    with loader_for(collection_a) as active:
        prepared = active.prepare(mapped(again))
        repeating = active.prepare(mapped([record(6, 2), record(7, 5)]))
        with transaction.atomic():
            outcome = active.load(prepared)
        with transaction.atomic():
            repeated = active.load(repeating)

    assert prepared.probed and prepared.rows == 4
    assert list(prepared.lines) == [3, 5]  # the changed row and the new one
    assert [row.split(b"\t")[0] for row in prepared.data.split(b"\n")[:-1]] == [b"ENT-2", b"ENT-4"]
    assert len(prepared.keys.split(b"\n")[:-1]) == 4  # every row's, for the seen table
    assert (outcome.created, outcome.updated, outcome.unchanged) == (1, 1, 2)
    assert Specimen.objects.get(catalog_number="ENT-2").locality == odd
    # Probed before the batch ahead of it loaded (as readers run ahead), the repeat looked
    # unchanged; it is rejected as a repeat all the same, and the first line's values stay.
    assert list(repeating.lines) == [7]
    assert [(d.line, d.catalog_number) for d in repeated.duplicates] == [(6, "ENT-2")]
    assert (repeated.created, repeated.updated, repeated.unchanged) == (1, 0, 0)
    assert Specimen.objects.get(catalog_number="ENT-2").locality == odd


def test_inside_a_transaction_the_loader_probes_on_its_own_connection(collection_a):
    """Another connection could not see the transaction's rows, or would wait for its
    locks: the batch carries every row's values and the loader probes them."""
    with loader_for(collection_a) as active, transaction.atomic():
        active.load(mapped([record(2, 1)]))
    with loader_for(collection_a) as active:
        prepared = active.prepare(mapped([record(2, 1), record(3, 2)]))
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            outcome = active.load(prepared)

    assert not prepared.probed and list(prepared.lines) == [2, 3]
    assert [q for q in captured.captured_queries if q["sql"].startswith(LOADERS_PROBE)]
    assert (outcome.created, outcome.unchanged) == (1, 1)
