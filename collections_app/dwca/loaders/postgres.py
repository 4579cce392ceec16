"""PostgreSQL: COPY a batch into a staging table, then one INSERT … ON CONFLICT merges it.

``COPY`` is the fastest way rows get into PostgreSQL; the merge then inserts new catalogue
numbers and updates a row only WHERE its values are DISTINCT FROM the archive's, so unchanged
rows keep their ``updated_at``. ``RETURNING (xmax = 0)`` tells inserted rows from updated ones;
rows the merge did not return were unchanged. Both work tables are temporary (private to the
session, dropped at the end): created and named in ``pg_temp``, so that a real table of the
same name is never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.backends.utils import CursorWrapper

from ..mapping import Record, duplicate
from .columns import SpecimenColumns, database_now
from .outcome import LoadOutcome

STAGING = "pg_temp.elvis_dwca_staging"
SEEN = "pg_temp.elvis_dwca_seen"  # catalogue numbers of the earlier batches, and their lines


class PostgresLoader:
    def __init__(self, collection_id: int, columns: SpecimenColumns) -> None:
        self.collection_id = collection_id
        self.columns = columns
        fields = ", ".join(columns.fields)
        key = columns.catalog_number
        self._copy_sql = f"COPY {STAGING} (line, {key}, {fields}) FROM STDIN"
        self._claim_sql = (
            f"DELETE FROM {STAGING} AS staged USING {SEEN} AS seen "
            f"WHERE staged.{key} = seen.catalog_number "
            f"RETURNING staged.line, staged.{key}, seen.line"
        )
        self._remember_sql = (
            f"INSERT INTO {SEEN} (catalog_number, line) SELECT {key}, line FROM {STAGING}"
        )
        self._merge_sql = self._merge(columns)

    def open(self) -> None:
        text_columns = ", ".join(f"{column} text NOT NULL" for column in self.columns.fields)
        with connection.cursor() as cursor:
            self._drop(cursor)
            cursor.execute(
                f"CREATE TABLE {STAGING} "
                f"(line bigint NOT NULL, {self.columns.catalog_number} text NOT NULL, "
                f"{text_columns})"
            )
            cursor.execute(
                f"CREATE TABLE {SEEN} (catalog_number text PRIMARY KEY, line bigint NOT NULL)"
            )

    def close(self) -> None:
        with connection.cursor() as cursor:
            self._drop(cursor)

    def load(self, records: Sequence[Record]) -> LoadOutcome:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {STAGING}")
            with cursor.copy(self._copy_sql) as copy:
                for record in records:
                    copy.write_row((record.line, record.catalog_number, *record.values))
            # The seen table grows to the archive's size, and temporary tables have no
            # statistics: left to itself the planner hashes all of it for every batch (a
            # load quadratic in the archive's rows). Probing its key per staged row is not.
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute(self._claim_sql)
            duplicates = [duplicate(*row) for row in cursor.fetchall()]
            cursor.execute("RESET enable_hashjoin")
            cursor.execute("RESET enable_mergejoin")
            cursor.execute(self._remember_sql)
            constants = {
                f"constant_{i}": value for i, (_c, value) in enumerate(self.columns.constants)
            }
            cursor.execute(
                self._merge_sql,
                {"collection": self.collection_id, "now": database_now(), **constants},
            )
            created, updated = cursor.fetchone()
        unchanged = len(records) - len(duplicates) - created - updated
        return LoadOutcome(created, updated, unchanged, duplicates)

    @staticmethod
    def _drop(cursor: CursorWrapper) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}, {SEEN}")

    @staticmethod
    def _merge(columns: SpecimenColumns) -> str:
        fields = ", ".join(columns.fields)
        constant_columns = "".join(f", {column}" for column, _value in columns.constants)
        constant_values = "".join(f", %(constant_{i})s" for i in range(len(columns.constants)))
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns.fields)
        current = ", ".join(f"specimen.{column}" for column in columns.fields)
        incoming = ", ".join(f"EXCLUDED.{column}" for column in columns.fields)
        return (
            f"WITH merged AS ("
            f"INSERT INTO {columns.table} AS specimen ({columns.collection}, "
            f"{columns.catalog_number}, {fields}{constant_columns}, {columns.created_at}, "
            f"{columns.updated_at}) "
            f"SELECT %(collection)s, {columns.catalog_number}, {fields}{constant_values}, "
            f"%(now)s, %(now)s FROM {STAGING} "
            f"ON CONFLICT ({columns.collection}, {columns.catalog_number}) DO UPDATE SET "
            f"{updates}, {columns.updated_at} = EXCLUDED.{columns.updated_at} "
            f"WHERE ({current}) IS DISTINCT FROM ({incoming}) "
            f"RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) "
            f"FROM merged"
        )
