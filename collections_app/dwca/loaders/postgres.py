"""PostgreSQL: COPY a batch into a staging table, then write it into the specimen table.

``prepare`` turns a batch into ``COPY`` text, each row with its import hash (``rowhash``, as
on SQLite), and touches no database, so the archive's reader processes do it while the
database loads the batch before. (The hash was once a column the staging table generated in
SQL: it cost the database 2.5 µs a row, twice the reader's, and the import is bound by the
CPU of both; bench/README.md.) ``load`` then takes one of two ways:

- **direct**, while the collection had no specimens when the import began: the batch is
  copied straight into the specimen table, no staging and no merge (the readers write its
  rows in the table's own layout, with the collection and the other columns' defaults; the
  times are the columns' database default, the statement's time, as each batch's were). A
  catalogue number of an earlier batch (the archive repeats one) breaks the unique
  constraint; the batch's savepoint rolls back, and the import merges from that batch on,
  restaging the batches the readers wrote in the table's layout (``_restaged``). Staging and
  ``INSERT … SELECT`` cost the database a quarter more CPU than the copy (bench/README.md).
- **merge**: staging holds each row's line, catalogue number and import hash (``rowhash``),
  not its values. The rows whose stored hash differs (or that are new) are found by one
  probe of the specimen table a row; only their values are copied (``CHANGED``), so a
  re-import of an unchanged archive copies three columns a row and writes nothing (copying
  every value into staging cost the database more than finding the changed rows;
  bench/README.md). One ``INSERT … ON CONFLICT`` then inserts new catalogue numbers and
  rewrites a row only WHERE its hash differs. A NULL hash (the row was edited since, or
  imported before hashes) rewrites the row with its hash, but moves ``updated_at`` only if a
  value really differs; ``RETURNING`` tells inserted, changed and unchanged rows apart.

In both, the catalogue numbers and lines of the batches before are kept, so a row repeating
one is rejected as a duplicate (the first wins): merging, in ``SEEN``, whose key refuses a
repeat as a batch's numbers go in (that batch then claims its repeats; ``_remember``);
loading directly, where the unique constraint finds a repeat, in a temporary file, copied into
``SEEN`` only if the import turns to merging (copied into the database as they came, they cost
it half a second of CPU a million rows; bench/README.md). (One ``INSERT … ON CONFLICT DO
NOTHING`` into ``SEEN`` telling the repeats apart took longer than inserting in a savepoint:
its speculative insertion doubles the insert's cost.) ``SEEN``
compares its catalogue numbers byte by byte (``COLLATE "C"``): equality is the same as the
database's collation's, and its key is built and probed a fifth faster than through the
locale's comparison (bench/README.md). The work tables are temporary (private to the
session, dropped at the end), created and named in ``pg_temp`` so that a real
table of the same name is never touched.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from psycopg.errors import UniqueViolation

from .. import collection_key
from ..mapping import MappedBatch, Rejection, duplicate
from ..rowhash import row_hash
from .columns import SpecimenColumns, database_now
from .outcome import LoadOutcome

STAGING = "pg_temp.elvis_dwca_staging"  # a batch's lines, catalogue numbers and hashes
CHANGED = "pg_temp.elvis_dwca_changed"  # the batch's new and changed rows, with their values
SEEN = "pg_temp.elvis_dwca_seen"  # catalogue numbers of the earlier batches, and their lines
#: A collection the planner counts fewer specimens in than this is counted again (``ANALYZE``)
#: before the import's first merge.
ANALYZE_BELOW_ROWS = 1_000


#: What ``COPY`` text escapes (everything else goes as is). A row whose values hold none, nearly
#: all, is joined once and scanned for each (``str.count`` and ``in``: a regular expression's
#: class took five times as long on text beyond Latin-1).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True)
class CopyRows:
    """A batch ready for ``COPY`` (text format). ``direct``: ``data`` holds the specimen
    table's own columns (``PostgresLoader.direct_columns``) and ``seen`` each row's catalogue
    number and line, in the same order; otherwise ``data`` is ``CHANGED``'s (line, catalogue
    number, values, hash), a row's line first, and ``keys`` staging's (line, catalogue number,
    hash)."""

    rows: int
    data: bytes
    direct: bool = False
    seen: bytes = b""
    keys: bytes = b""

    def __len__(self) -> int:
        return self.rows


def _copy_text(value: object) -> str:
    """A constant as ``COPY`` text reads it."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


class PostgresLoader:
    def __init__(self, collection_id: int, columns: SpecimenColumns) -> None:
        self.collection_id = collection_id
        self.columns = columns
        self.direct = False
        self._analyze_before_merging = False
        self._seen_file: BinaryIO | None = None  # ``SEEN``'s rows while loading directly
        fields = ", ".join(columns.fields)
        key = columns.catalog_number
        self._copy_sql = f"COPY {STAGING} (line, {key}, import_hash) FROM STDIN"
        self._copy_changed_sql = f"COPY {CHANGED} (line, {key}, {fields}, import_hash) FROM STDIN"
        self._claim_sql = (
            f"DELETE FROM {STAGING} AS staged USING {SEEN} AS seen "
            f'WHERE staged.{key} COLLATE "C" = seen.catalog_number '
            f"RETURNING staged.line, staged.{key}, seen.line"
        )
        self._remember_sql = (
            f"INSERT INTO {SEEN} (catalog_number, line) SELECT {key}, line FROM {STAGING}"
        )
        self._changed_lines_sql = (
            f"SELECT staged.line FROM {STAGING} AS staged WHERE NOT EXISTS ("
            f"SELECT FROM {columns.table} AS specimen "
            f"WHERE specimen.{columns.collection} = %s "
            f"AND specimen.{columns.catalog_number} = staged.{key} "
            f"AND specimen.{columns.import_hash} = staged.import_hash)"
        )
        self._merge_sql = self._merge(columns)
        self.direct_columns = (
            columns.collection,
            key,
            *columns.fields,
            *(column for column, _value in columns.constants),
            columns.import_hash,
        )
        self._direct_copy_sql = (
            f"COPY {columns.table} ({', '.join(self.direct_columns)}) FROM STDIN"
        )
        self._seen_copy_sql = f"COPY {SEEN} (catalog_number, line) FROM STDIN"
        # What every row of a direct batch starts with, and ends with before its hash.
        self._direct_head = f"{collection_id}\t"
        self._direct_tail = "".join(f"\t{_copy_text(value)}" for _c, value in columns.constants)

    def open(self) -> None:
        """Work tables for the import; ``direct`` if the collection has no specimens yet."""
        text_columns = ", ".join(f"{column} text NOT NULL" for column in self.columns.fields)
        with connection.cursor() as cursor:
            self._drop(cursor)
            key = f"line bigint NOT NULL, {self.columns.catalog_number} text NOT NULL"
            cursor.execute(f"CREATE TABLE {STAGING} ({key}, import_hash bigint NOT NULL)")
            cursor.execute(
                f"CREATE TABLE {CHANGED} ({key}, {text_columns}, import_hash bigint NOT NULL)"
            )
            cursor.execute(
                f"SELECT NOT EXISTS (SELECT FROM {self.columns.table} "
                f"WHERE {self.columns.collection} = %s)",
                [self.collection_id],
            )
            self.direct = cursor.fetchone()[0]
            if self.direct:
                # Closed by ``close`` (or on turning to merging), as the work tables are dropped.
                self._seen_file = tempfile.TemporaryFile(prefix="elvis-dwca-seen-")  # noqa: SIM115
            self._analyze_before_merging = self._estimate(cursor) < ANALYZE_BELOW_ROWS
            # Loading directly, nothing probes it (the unique constraint does), so it has no
            # key to keep up until a merge needs one.
            key = "" if self.direct else " PRIMARY KEY"
            cursor.execute(
                f'CREATE TABLE {SEEN} (catalog_number text COLLATE "C"{key}, line bigint NOT NULL)'
            )

    def _estimate(self, cursor: CursorWrapper) -> float:
        """The planner's count of this collection's specimens."""
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT FROM {self.columns.table} "
            f"WHERE {self.columns.collection} = %s",
            [self.collection_id],
        )
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return plan[0]["Plan"]["Plan Rows"]

    def close(self) -> None:
        if self._seen_file is not None:
            self._seen_file.close()
            self._seen_file = None
        with connection.cursor() as cursor:
            self._drop(cursor)

    def prepare(self, batch: MappedBatch) -> CopyRows:
        """The batch as COPY reads it, in the table's layout while this import loads directly
        (no database here: the reader process runs this)."""
        lines, seen, keys = [], [], []
        tabs = len(self.columns.fields)  # one after the catalogue number, one between values
        for line, number, values in zip(
            batch.lines, batch.catalog_numbers, batch.values, strict=True
        ):
            row, digest = "\t".join((number, *values)), row_hash(values)
            if row.count("\t") != tabs or "\\" in row or "\n" in row or "\r" in row:
                number = number.translate(_COPY_ESCAPES)
                row = "\t".join((number, *(value.translate(_COPY_ESCAPES) for value in values)))
            if self.direct:
                lines.append(f"{self._direct_head}{row}{self._direct_tail}\t{digest}")
                seen.append(f"{number}\t{line}")
            else:
                lines.append(f"{line}\t{row}\t{digest}")
                keys.append(f"{line}\t{number}\t{digest}")
        lines.append("")
        seen.append("")
        keys.append("")
        data = "\n".join(lines).encode()
        if not self.direct:
            return CopyRows(len(batch), data, keys="\n".join(keys).encode())
        return CopyRows(len(batch), data, direct=True, seen="\n".join(seen).encode())

    def load(self, records: MappedBatch | CopyRows) -> LoadOutcome:
        batch = records if isinstance(records, CopyRows) else self.prepare(records)
        with connection.cursor() as cursor:
            # Once per batch, what the key's check of every row would do (``collection_key``).
            collection_key.hold(cursor, self.collection_id)
            if batch.direct and self.direct and self._copy_directly(cursor, batch):
                return LoadOutcome(batch.rows, 0, 0, [])
            cursor.execute(f"TRUNCATE {STAGING}, {CHANGED}")
            if batch.direct:
                batch = self._restaged(batch)
            with cursor.copy(self._copy_sql) as copy:
                copy.write(batch.keys)
            if self._analyze_before_merging:
                # The planner's count of this collection is none or a handful, while it may
                # hold the rows of this import's direct batches, or of an earlier import never
                # counted since (autovacuum off, or not yet round): probing one catalogue
                # number, it may pick any index that starts with the collection and read all
                # those rows, for every staged row (a batch of minutes; a re-import of 120,000
                # rows right after their import stalled so). Counted again, the unique index is
                # the only choice. A collection that really is that small costs a sample.
                cursor.execute(f"ANALYZE {self.columns.table} ({self.columns.collection})")
                self._analyze_before_merging = False
            return self._merge_staged(cursor, batch)

    def _params(self) -> dict:
        constants = {f"constant_{i}": value for i, (_c, value) in enumerate(self.columns.constants)}
        return {"collection": self.collection_id, "now": database_now(), **constants}

    def _copy_directly(self, cursor: CursorWrapper, batch: CopyRows) -> bool:
        """Copy the batch into the specimen table; False (nothing written) if a row repeats
        an earlier batch's catalogue number, after which this import merges."""
        seen = self._seen_file
        if seen is None:
            raise RuntimeError("a direct load without its file of catalogue numbers")
        try:
            with transaction.atomic(), cursor.copy(self._direct_copy_sql) as copy:
                copy.write(batch.data)
        except UniqueViolation:  # COPY's error, as psycopg raises it (Django does not wrap it)
            seen.seek(0)
            with cursor.copy(self._seen_copy_sql) as copy:
                shutil.copyfileobj(seen, copy)
            cursor.execute(f"ALTER TABLE {SEEN} ADD PRIMARY KEY (catalog_number)")
            self.direct = False
            self._seen_file = None
            seen.close()
            return False
        seen.write(batch.seen)
        return True

    def _restaged(self, batch: CopyRows) -> CopyRows:
        """A batch the readers wrote in the table's layout, in the merge's: each row's line
        (from ``seen``), catalogue number, values and hash, and its keys. Only the batches of
        an import that stopped loading directly, so Python's speed is enough."""
        values = slice(1, 2 + len(self.columns.fields))  # after the collection: number, values
        rows = [
            (seen.rpartition(b"\t")[2], *row.split(b"\t")[values], row.rpartition(b"\t")[2])
            for row, seen in zip(
                batch.data.split(b"\n")[:-1], batch.seen.split(b"\n")[:-1], strict=True
            )
        ]
        data = [b"\t".join(row) for row in rows]
        keys = [b"\t".join((line, number, digest)) for line, number, *_v, digest in rows]
        return CopyRows(batch.rows, b"\n".join([*data, b""]), keys=b"\n".join([*keys, b""]))

    def _merge_staged(self, cursor: CursorWrapper, batch: CopyRows) -> LoadOutcome:
        # The seen table grows to the archive's size, and temporary tables have no
        # statistics: left to itself the planner hashes all of it (or the whole specimen
        # table) for every batch, a load quadratic in the archive's rows. Probing a key per
        # staged row is not.
        cursor.execute("SET LOCAL enable_hashjoin = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        # Nor is anything here worth compiling: the planner's costs of a batch's probes and
        # merge pass JIT's thresholds, and compiling each took longer than it saved on
        # 50,000 simple rows (15–40 ms a statement; bench/README.md).
        cursor.execute("SET LOCAL jit = off")
        duplicates = self._remember(cursor)
        # Unchanged rows stay out of the merge, read only: ON CONFLICT DO UPDATE locks every
        # row it meets, even those its WHERE then leaves alone (a write of every page).
        cursor.execute(self._changed_lines_sql, [self.collection_id])
        changed = cursor.fetchall()
        cursor.execute("RESET enable_hashjoin")
        cursor.execute("RESET enable_mergejoin")
        created = updated = 0
        if changed:
            with cursor.copy(self._copy_changed_sql) as copy:
                copy.write(self._rows_of(batch.data, changed, batch.rows))
            cursor.execute(self._merge_sql, self._params())
            created, updated = cursor.fetchone()
        unchanged = batch.rows - len(duplicates) - created - updated
        return LoadOutcome(created, updated, unchanged, duplicates)

    def _remember(self, cursor: CursorWrapper) -> list[Rejection]:
        """Every staged row's catalogue number and line into ``SEEN``; a row repeating an
        earlier batch's number is taken out of staging and returned as a duplicate.

        ``SEEN``'s key checks each number as it goes in, so a batch repeating none (nearly
        every batch of every archive) is remembered in one statement; only when the key
        refuses one does the batch roll back to before it, claim its repeats (probing the key
        once more a row) and go in without them. Claiming first, always, cost the database a
        probe of the key a row twice (0.7 s a million rows; bench/README.md).
        """
        try:
            with transaction.atomic():
                cursor.execute(self._remember_sql)
        except IntegrityError:
            cursor.execute(self._claim_sql)
            duplicates = [duplicate(*row) for row in cursor.fetchall()]
            cursor.execute(self._remember_sql)
            return duplicates
        return []

    @staticmethod
    def _rows_of(data: bytes, lines: list[tuple[int]], rows: int) -> bytes:
        """The rows of ``data`` (each starting with its line) on ``lines``: all of them when
        every row is new or changed, as in a first import, without looking."""
        if len(lines) == rows:
            return data
        wanted = {str(line).encode() for (line,) in lines}
        kept = [row for row in data.split(b"\n") if row.partition(b"\t")[0] in wanted]
        kept.append(b"")
        return b"\n".join(kept)

    @staticmethod
    def _drop(cursor: CursorWrapper) -> None:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}, {CHANGED}, {SEEN}")

    @staticmethod
    def _insert(columns: SpecimenColumns) -> str:
        fields = ", ".join(columns.fields)
        constant_columns = "".join(f", {column}" for column, _value in columns.constants)
        constant_values = "".join(f", %(constant_{i})s" for i in range(len(columns.constants)))
        return (
            f"INSERT INTO {columns.table} AS specimen ({columns.collection}, "
            f"{columns.catalog_number}, {fields}{constant_columns}, {columns.created_at}, "
            f"{columns.updated_at}, {columns.import_hash}) "
            f"SELECT %(collection)s, {columns.catalog_number}, {fields}{constant_values}, "
            f"%(now)s, %(now)s, import_hash FROM {CHANGED}"
        )

    @classmethod
    def _merge(cls, columns: SpecimenColumns) -> str:
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns.fields)
        current = ", ".join(f"specimen.{column}" for column in columns.fields)
        incoming = ", ".join(f"EXCLUDED.{column}" for column in columns.fields)
        stamp, digest = columns.updated_at, columns.import_hash
        return (
            f"WITH merged AS ({cls._insert(columns)} "
            f"ON CONFLICT ({columns.collection}, {columns.catalog_number}) DO UPDATE SET "
            f"{updates}, {digest} = EXCLUDED.{digest}, "
            f"{stamp} = CASE WHEN ({current}) IS DISTINCT FROM ({incoming}) "
            f"THEN EXCLUDED.{stamp} ELSE specimen.{stamp} END "
            f"WHERE specimen.{digest} IS DISTINCT FROM EXCLUDED.{digest} "
            f"RETURNING (xmax = 0) AS inserted, specimen.{stamp} = %(now)s AS changed) "
            f"SELECT count(*) FILTER (WHERE inserted), "
            f"count(*) FILTER (WHERE NOT inserted AND changed) FROM merged"
        )
