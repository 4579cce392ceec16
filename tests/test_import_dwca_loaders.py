"""Each database writes through its own loader, which counts exactly what it did.

These run on whichever database the suite uses (CI runs it on SQLite and on PostgreSQL), so
both loaders are covered: the ``loader`` fixture is the one of the database in use.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.make_dwca import ArchiveSpec, make_archive
from collections_app.dwca.loaders import LOADERS, loader_for
from collections_app.dwca.loaders.postgres import CopyRows, PostgresLoader
from collections_app.dwca.loaders.sqlite import SqliteLoader
from collections_app.dwca.mapping import FIELD_NAMES, MappedBatch, Record
from collections_app.models import Specimen
from collections_app.search import search_key

from .dwca_support import import_dwca

EXPECTED = {"postgresql": PostgresLoader, "sqlite": SqliteLoader}
# The work tables of this session's loader, per database.
WORK_TABLES = {
    "postgresql": (
        "SELECT relname FROM pg_class "
        "WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'elvis_dwca%'"
    ),
    "sqlite": "SELECT name FROM temp.sqlite_master WHERE name LIKE 'elvis_dwca%'",
}


@pytest.fixture
def loader() -> type:
    return LOADERS[connection.vendor]


def record(line: int, number: int, **changes: str) -> Record:
    values = {
        "occurrence_id": f"urn:catalog:INSTA:ENT:{number}",
        "scientific_name": "Carabus auratus",
        "family": "Carabidae",
        "type_status": "",
        "country": "FR",
        "locality": "Camargue, Bouches-du-Rhône",
        "event_date": "1921-06-14",
        "preparations": "pinned",
        **changes,
    }
    values["scientific_name_key"] = search_key(values["scientific_name"])
    return Record(line, f"ENT-{number}", tuple(values[name] for name in FIELD_NAMES))


def mapped(records: list[Record]) -> MappedBatch:
    """A batch of these records, as the mapping hands it over."""
    batch = MappedBatch(rows=len(records), last_line=records[-1].line)
    for line, number, values in records:
        batch.lines.append(line)
        batch.catalog_numbers.append(number)
        batch.values.append(values)
    return batch


def load(collection, *batches: list[Record]) -> list[tuple]:
    """Load ``batches`` as one import would, each in its own transaction."""
    outcomes = []
    with loader_for(collection) as active:
        for batch in batches:
            with transaction.atomic():
                outcomes.append(active.load(mapped(batch)))
    return [
        (o.created, o.updated, o.unchanged, [(d.line, d.catalog_number) for d in o.duplicates])
        for o in outcomes
    ]


def test_the_database_in_use_has_its_own_loader(loader):
    assert loader is EXPECTED[connection.vendor]


def test_an_import_writes_every_batch_through_that_loader(
    collection_a, loader, monkeypatch, tmp_path
):
    archive = tmp_path / "five-batches.zip"
    make_archive(archive, ArchiveSpec(rows=450, institution_code="INSTA"))
    batches = []
    original = loader.load

    def counted(self, records):
        batches.append(len(records))
        return original(self, records)

    monkeypatch.setattr(loader, "load", counted)

    import_dwca(archive, collection_a, "--batch-size", "100")

    assert batches == [100, 100, 100, 100, 50]
    assert Specimen.objects.filter(collection=collection_a).count() == 450


def test_the_loader_counts_created_updated_and_unchanged_rows_exactly(collection_a):
    assert load(collection_a, [record(2, 1), record(3, 2), record(4, 3)]) == [(3, 0, 0, [])]

    outcome = load(
        collection_a,
        [record(2, 1), record(3, 2, locality="Doñana, Huelva"), record(4, 4)],
    )

    assert outcome == [(1, 1, 1, [])]
    assert Specimen.objects.get(catalog_number="ENT-2").locality == "Doñana, Huelva"


def test_only_updated_rows_get_a_new_updated_at(collection_a):
    load(collection_a, [record(2, 1), record(3, 2)])
    before = dict(Specimen.objects.values_list("catalog_number", "updated_at"))

    load(collection_a, [record(2, 1), record(3, 2, type_status="Paratype")])

    after = dict(Specimen.objects.values_list("catalog_number", "updated_at"))
    assert after["ENT-1"] == before["ENT-1"]
    assert after["ENT-2"] > before["ENT-2"]


def test_a_catalogue_number_of_an_earlier_batch_is_a_duplicate(collection_a):
    outcomes = load(collection_a, [record(2, 1), record(3, 2)], [record(9, 2), record(10, 3)])

    assert outcomes == [(2, 0, 0, []), (1, 0, 0, [(9, "ENT-2")])]


@pytest.mark.parametrize("existing", [False, True], ids=["first import", "re-import"])
def test_only_the_very_same_catalogue_number_is_a_duplicate(collection_a, existing):
    """Byte for byte: numbers differing in case, or in how an accent is encoded (composed
    or combining), are different specimens, in every batch after the first (the seen
    table compares bytes, ``COLLATE "C"``, whatever the database's collation)."""
    numbers = ["NHM-é1", "NHM-e\u03011", "nhm-é1", "NHM-É1"]
    first = [record(n + 2, n)._replace(catalog_number=c) for n, c in enumerate(numbers)]
    again = [record(n + 10, n)._replace(catalog_number=c) for n, c in enumerate(numbers)]
    if existing:
        load(collection_a, first)
        assert load(collection_a, first, again) == [
            (0, 0, 4, []),
            (0, 0, 0, [(10, "NHM-é1"), (11, "NHM-e\u03011"), (12, "nhm-é1"), (13, "NHM-É1")]),
        ]
    else:
        later = [
            record(20 + n, 20 + n)._replace(catalog_number=c + "x") for n, c in enumerate(numbers)
        ]
        assert load(collection_a, first, later, again[:1]) == [
            (4, 0, 0, []),
            (4, 0, 0, []),
            (0, 0, 0, [(10, "NHM-é1")]),
        ]
    assert sorted(Specimen.objects.values_list("catalog_number", flat=True)) == sorted(
        numbers + ([] if existing else [c + "x" for c in numbers])
    )


def test_created_rows_get_the_model_defaults_of_the_columns_an_archive_lacks(collection_a):
    load(collection_a, [record(2, 1)])

    specimen = Specimen.objects.get()
    assert specimen.is_available is True
    assert specimen.created_at == specimen.updated_at


def test_the_work_tables_are_gone_after_the_import(collection_a):
    load(collection_a, [record(2, 1)])

    with connection.cursor() as cursor:
        cursor.execute(WORK_TABLES[connection.vendor])
        assert cursor.fetchall() == []


def test_values_with_tabs_backslashes_and_line_breaks_load_exactly_and_compare_equal(
    collection_a,
):
    odd = "Bois\tde \\N la\nCambre\r, \\\\ ."

    assert load(collection_a, [record(2, 1, locality=odd)]) == [(1, 0, 0, [])]
    assert load(collection_a, [record(2, 1, locality=odd)]) == [(0, 0, 1, [])]
    assert Specimen.objects.get().locality == odd


@pytest.mark.parametrize("odd", ["ENT\\1", "ENT\t1", "ENT\\N", "ENT\r1"])
def test_a_catalogue_number_copy_would_read_otherwise_loads_exactly_beside_plain_rows(
    collection_a, odd
):
    """A batch holding one such number (or value) is escaped row by row; the plain rows
    around it load as they are, first directly, then merged, then found unchanged."""
    batch = [record(2, 1), record(3, 2)._replace(catalog_number=odd), record(4, 3)]
    changed = [*batch[:2], record(4, 3, family="Cicindelidae"), record(5, 4, locality="a\tb")]

    assert load(collection_a, batch) == [(3, 0, 0, [])]
    assert load(collection_a, changed) == [(1, 1, 2, [])]
    assert load(collection_a, changed) == [(0, 0, 4, [])]
    stored = dict(Specimen.objects.values_list("catalog_number", "family"))
    assert stored == {
        "ENT-1": "Carabidae",
        odd: "Carabidae",
        "ENT-3": "Cicindelidae",
        "ENT-4": "Carabidae",
    }
    assert Specimen.objects.get(catalog_number="ENT-4").locality == "a\tb"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's direct copy")
def test_batches_written_for_a_direct_load_are_restaged_exactly_once_the_import_merges(
    collection_a,
):
    odd = "Bois\tde \\N la\nCambre\r, \\\\ ."
    batches = (
        [record(2, 1)],
        [record(3, 2, locality=odd), record(4, 1, locality="later")],  # repeats line 2
        [record(5, 3, locality=odd)],
    )
    outcomes = []
    with loader_for(collection_a) as active:
        # All written ahead in the table's layout, as the reader processes do.
        prepared = [active.prepare(mapped(batch)) for batch in batches]
        for batch in prepared:
            with transaction.atomic():
                outcomes.append(active.load(batch))
        assert not active.direct

    assert all(batch.direct for batch in prepared)
    assert [(o.created, o.updated, o.unchanged) for o in outcomes] == [(1, 0, 0)] * 3
    assert [[(d.line, d.catalog_number, d.reason) for d in o.duplicates] for o in outcomes] == [
        [],
        [(4, "ENT-1", "duplicate in archive: catalogNumber already on line 2")],
        [],
    ]
    specimens = {s.catalog_number: s for s in Specimen.objects.filter(collection=collection_a)}
    assert (specimens["ENT-2"].locality, specimens["ENT-3"].locality) == (odd, odd)
    assert specimens["ENT-1"].locality == "Camargue, Bouches-du-Rhône"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's direct copy")
def test_rows_copied_directly_get_their_batchs_time_and_the_other_columns_defaults(
    collection_a,
):
    with CaptureQueriesContext(connection) as captured:
        load(collection_a, [record(2, 1), record(3, 2)], [record(4, 3)])

    table = Specimen._meta.db_table
    assert not [q["sql"] for q in captured.captured_queries if f'INSERT INTO "{table}"' in q["sql"]]
    rows = list(
        Specimen.objects.filter(collection=collection_a)
        .order_by("catalog_number")
        .values_list("created_at", "updated_at", "is_available", "import_hash")
    )
    assert all(created == updated for created, updated, _a, _h in rows)
    assert rows[0][0] == rows[1][0] < rows[2][0]  # one time per batch, in the batches' order
    assert all(available and digest is not None for _c, _u, available, digest in rows)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's staging")
def test_a_merge_copies_the_values_of_the_new_and_changed_rows_only(collection_a, monkeypatch):
    """Staging holds a row's line, catalogue number and hash; only the rows a merge writes
    have their values copied, and a batch that changes nothing writes nothing."""
    odd = "Bois\tde \\N la\nCambre\r, \\\\ ."
    load(collection_a, [record(2, 1), record(3, 2, locality=odd), record(4, 3)])
    copied: list[bytes] = []
    rows_of = PostgresLoader._rows_of

    def recorded(batch: CopyRows, lines: list[tuple[int]]) -> bytes:
        copied.append(rows_of(batch, lines))
        return copied[-1]

    monkeypatch.setattr(PostgresLoader, "_rows_of", staticmethod(recorded))
    table = f'INSERT INTO "{Specimen._meta.db_table}"'
    with loader_for(collection_a) as active, CaptureQueriesContext(connection) as captured:
        with transaction.atomic():
            unchanged = active.load(mapped([record(2, 1), record(3, 2, locality=odd)]))
        merged_unchanged = [q for q in captured.captured_queries if table in q["sql"]]
        copied_unchanged = list(copied)
        with transaction.atomic():
            mixed = active.load(
                mapped([record(5, 3, locality="Arles"), record(6, 4, locality=odd), record(7, 1)])
            )

    assert (unchanged.created, unchanged.updated, unchanged.unchanged) == (0, 0, 2)
    assert not copied_unchanged and not merged_unchanged
    assert (mixed.created, mixed.updated, mixed.unchanged) == (1, 1, 0)
    assert [(d.line, d.catalog_number) for d in mixed.duplicates] == [(7, "ENT-1")]
    assert [row.split(b"\t")[:3] for row in copied[0].split(b"\n")[:-1]] == [
        [b"ENT-3", b"urn:catalog:INSTA:ENT:3", b"Carabus auratus"],
        [b"ENT-4", b"urn:catalog:INSTA:ENT:4", b"Carabus auratus"],
    ]
    localities = dict(Specimen.objects.values_list("catalog_number", "locality"))
    assert localities == {
        "ENT-1": "Camargue, Bouches-du-Rhône",
        "ENT-2": odd,
        "ENT-3": "Arles",
        "ENT-4": odd,
    }


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's direct copy")
def test_a_direct_load_keeps_its_catalogue_numbers_out_of_the_database_until_it_merges(
    collection_a,
):
    """Loading directly, the unique constraint finds a repeat, so the numbers and lines wait
    in a file; turning to merging, ``SEEN`` gets them all, and the repeat its first line."""

    def seen() -> list[tuple[str, int]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT catalog_number, line FROM pg_temp.elvis_dwca_seen ORDER BY 2")
            return cursor.fetchall()

    with loader_for(collection_a) as active:
        for batch in ([record(2, 1), record(3, 2)], [record(4, 3)]):
            with transaction.atomic():
                active.load(mapped(batch))
        direct_seen = seen()
        with transaction.atomic():
            repeated = active.load(mapped([record(5, 4), record(6, 2)]))
        merged_seen = seen()

    assert direct_seen == []
    assert merged_seen == [("ENT-1", 2), ("ENT-2", 3), ("ENT-3", 4), ("ENT-4", 5)]
    assert [(d.line, d.catalog_number, d.reason) for d in repeated.duplicates] == [
        (6, "ENT-2", "duplicate in archive: catalogNumber already on line 3")
    ]
    assert (repeated.created, repeated.updated, repeated.unchanged) == (1, 0, 0)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's JIT")
def test_a_merging_batch_compiles_nothing(collection_a):
    """Its statements run with JIT off (``SET LOCAL``: for that batch's transaction)."""

    def jit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    load(collection_a, [record(2, 1)])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")  # whatever the server's default
    before = jit()

    with loader_for(collection_a) as active, transaction.atomic():
        active.load(mapped([record(2, 1, locality="Arles"), record(3, 2)]))
        during = jit()

    assert (before, during) == ("on", "off")


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's seen table")
def test_a_merging_batch_claims_repeats_only_when_the_seen_key_refuses_one(collection_a):
    """``SEEN``'s key checks each number going in: a batch repeating no earlier number is
    remembered in one statement, with no claim; one repeating a number rolls that back,
    claims the repeat as a duplicate (the first line wins) and remembers the rest."""
    load(collection_a, [record(2, 1), record(3, 2)])  # the collection has rows: merging

    def seen() -> list[tuple[str, int]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT catalog_number, line FROM pg_temp.elvis_dwca_seen ORDER BY 2")
            return cursor.fetchall()

    claim = "DELETE FROM pg_temp.elvis_dwca_staging"
    with loader_for(collection_a) as active:
        with CaptureQueriesContext(connection) as fresh, transaction.atomic():
            first = active.load(mapped([record(2, 1), record(3, 2), record(4, 3)]))
        with CaptureQueriesContext(connection) as repeating, transaction.atomic():
            second = active.load(mapped([record(5, 4), record(6, 2), record(7, 5)]))
        remembered = seen()

    assert not [q for q in fresh.captured_queries if claim in q["sql"]]
    assert len([q for q in repeating.captured_queries if claim in q["sql"]]) == 1
    assert (first.created, first.updated, first.unchanged, first.duplicates) == (1, 0, 2, [])
    assert [(d.line, d.catalog_number, d.reason) for d in second.duplicates] == [
        (6, "ENT-2", "duplicate in archive: catalogNumber already on line 3")
    ]
    assert (second.created, second.updated, second.unchanged) == (2, 0, 0)
    assert remembered == [("ENT-1", 2), ("ENT-2", 3), ("ENT-3", 4), ("ENT-4", 5), ("ENT-5", 7)]
    assert sorted(Specimen.objects.values_list("catalog_number", flat=True)) == [
        f"ENT-{n}" for n in range(1, 6)
    ]
