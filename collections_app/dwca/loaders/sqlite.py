"""SQLite: read the stored rows of a batch by key, compare in Python, write only the changes.

SQLite has no COPY and an upsert does not say whether it inserted, updated or left a row
alone, so each batch first reads the stored import hashes of its catalogue numbers (a few
indexed queries), then inserts the new rows and updates the changed ones with
``executemany``. A row is compared by its hash (``rowhash``); by its values only when the
hashes differ (or it has none: edited since the last import), and then only its hash is
written if the values are equal, as PostgreSQL's merge does.
Unchanged rows keep their ``updated_at``. Catalogue numbers of earlier batches are remembered
in a temporary table, not in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import cast

from django.db import connection
from django.db.backends.utils import CursorWrapper

from ..mapping import MappedBatch, Record, duplicate
from ..rowhash import row_hash
from .columns import SpecimenColumns, database_now
from .outcome import LoadOutcome

SEEN = "temp.elvis_dwca_seen"  # catalogue numbers of the earlier batches, and their lines


class SqliteLoader:
    def __init__(self, collection_id: int, columns: SpecimenColumns) -> None:
        self.collection_id = collection_id
        self.columns = columns
        # SQLite has a limit (None is for databases without one); one is the collection.
        self.chunk = cast(int, connection.features.max_query_params) - 1
        key, fields = columns.catalog_number, columns.fields
        written = [columns.collection, key, *fields, *(c for c, _v in columns.constants)]
        placeholders = ", ".join(["%s"] * (len(written) + 3))
        self._insert_sql = (
            f"INSERT INTO {columns.table} ({', '.join(written)}, {columns.created_at}, "
            f"{columns.updated_at}, {columns.import_hash}) VALUES ({placeholders})"
        )
        where = f"WHERE {columns.collection} = %s AND {key} = %s"
        assignments = ", ".join(
            f"{column} = %s" for column in (*fields, columns.updated_at, columns.import_hash)
        )
        self._update_sql = f"UPDATE {columns.table} SET {assignments} {where}"
        self._rehash_sql = f"UPDATE {columns.table} SET {columns.import_hash} = %s {where}"
        # The values come along, for the rows whose hash differs (SQLite's loads are small).
        self._stored_sql = (
            f"SELECT {key}, {columns.import_hash}, {', '.join(fields)} FROM {columns.table} "
            f"WHERE {columns.collection} = %s AND {key} IN ({{keys}})"
        )
        self._seen_sql = (
            f"SELECT catalog_number, line FROM {SEEN} WHERE catalog_number IN ({{keys}})"
        )

    def open(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SEEN}")
            cursor.execute(
                f"CREATE TABLE {SEEN} (catalog_number TEXT PRIMARY KEY, line INTEGER NOT NULL)"
            )

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SEEN}")

    def load(self, records: MappedBatch | Sequence[Record]) -> LoadOutcome:
        if isinstance(records, MappedBatch):
            records = self.prepare(records)
        with connection.cursor() as cursor:
            seen = dict(self._select(cursor, self._seen_sql, [], records))
            duplicates = [
                duplicate(r.line, r.catalog_number, seen[r.catalog_number])
                for r in records
                if r.catalog_number in seen
            ]
            fresh = [r for r in records if r.catalog_number not in seen]
            cursor.executemany(
                f"INSERT INTO {SEEN} (catalog_number, line) VALUES (%s, %s)",
                [(r.catalog_number, r.line) for r in fresh],
            )
            stored = {
                number: (stored_hash, tuple(values))
                for number, stored_hash, *values in self._select(
                    cursor, self._stored_sql, [self.collection_id], fresh
                )
            }
            new, changed, rehashed = [], [], []
            for record in fresh:
                digest = row_hash(record.values)
                if record.catalog_number not in stored:
                    new.append((record, digest))
                    continue
                stored_hash, stored_values = stored[record.catalog_number]
                if stored_hash == digest:
                    continue
                if stored_values == record.values:
                    rehashed.append((record, digest))
                else:
                    changed.append((record, digest))
            now = database_now()
            constants = tuple(value for _column, value in self.columns.constants)
            collection = self.collection_id
            cursor.executemany(
                self._insert_sql,
                [
                    (collection, r.catalog_number, *r.values, *constants, now, now, digest)
                    for r, digest in new
                ],
            )
            cursor.executemany(
                self._update_sql,
                [(*r.values, now, digest, collection, r.catalog_number) for r, digest in changed],
            )
            cursor.executemany(
                self._rehash_sql, [(digest, collection, r.catalog_number) for r, digest in rehashed]
            )
        unchanged = len(fresh) - len(new) - len(changed)
        return LoadOutcome(len(new), len(changed), unchanged, duplicates)

    @staticmethod
    def prepare(batch: MappedBatch) -> list[Record]:
        """The batch as ``load`` takes it: its records (hashed as they load)."""
        return list(batch.records())

    def done_reading(self) -> None:
        """``prepare`` holds nothing."""

    def _select(
        self, cursor: CursorWrapper, sql: str, params: list, records: Sequence[Record]
    ) -> Iterator[tuple]:
        """``sql`` run for the records' catalogue numbers, a chunk of ``IN (…)`` at a time."""
        for chunk in _chunks([r.catalog_number for r in records], self.chunk):
            cursor.execute(sql.format(keys=", ".join(["%s"] * len(chunk))), [*params, *chunk])
            yield from cursor.fetchall()


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
