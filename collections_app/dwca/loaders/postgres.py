"""PostgreSQL: COPY a batch into a staging table, then write it into the specimen table.

``prepare`` turns a batch into ``COPY`` text, each row with its import hash (``rowhash``, as
on SQLite), on no connection of the importer's, so the archive's reader processes do it while
the database loads the batch before. It writes the whole batch through C-level maps, one
``str.format`` a row, and escapes row by row only a batch holding a character ``COPY`` reads
otherwise (``_copy_numbers``, ``_copy_values``): a loop of several Python steps a row made it
a third of a reader's time, and the readers' CPU is the import's limit (bench/README.md).
Merging, a reader first asks the database on a connection of its own which rows are new or
changed (``ReaderProbe``) and writes only their values. (The hash was once a column the
staging table generated in SQL: it cost the database 2.5 µs a row, twice the reader's, and
the import is bound by the CPU of both; bench/README.md.) ``load`` then
takes one of two ways:

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
  probe of the specimen table a row — by the readers, each on a connection of its own
  (``ReaderProbe``), so that they write only those rows' values, or, inside a caller's
  transaction, by the loader; only their values are copied (``CHANGED``), so a
  re-import of an unchanged archive copies three columns a row and writes nothing (copying
  every value into staging cost the database more than finding the changed rows;
  bench/README.md). The readers write a row's values without its line, which only staging
  holds; a changed row's are found by its place in the batch (``CopyRows.lines``). One
  ``INSERT … ON CONFLICT`` then inserts new catalogue numbers and rewrites a row only WHERE
  its hash differs. A NULL hash (the row was edited since, or
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
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import psycopg
from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from psycopg.errors import UniqueViolation

from .. import collection_key
from ..mapping import MappedBatch, Rejection, duplicate
from ..rowhash import row_hashes
from .columns import SpecimenColumns, database_now
from .outcome import LoadOutcome

STAGING = "pg_temp.elvis_dwca_staging"  # a batch's lines, catalogue numbers and hashes
CHANGED = "pg_temp.elvis_dwca_changed"  # the batch's new and changed rows: number, values, hash
PROBED = "pg_temp.elvis_dwca_probed"  # a reader's batch keys, on the reader's own connection
SEEN = "pg_temp.elvis_dwca_seen"  # catalogue numbers of the earlier batches, and their lines
#: A collection the planner counts fewer specimens in than this is counted again (``ANALYZE``)
#: before the import's first merge.
ANALYZE_BELOW_ROWS = 1_000


#: What ``COPY`` text escapes (everything else goes as is). A batch whose values hold none, nearly
#: every one, is joined once and scanned for each (``str.count`` and ``in``: a regular
#: expression's class took five times as long on text beyond Latin-1).
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@dataclass(frozen=True)
class CopyRows:
    """A batch of ``rows`` ready for ``COPY`` (text format), in the batch's order; ``lines``
    are the lines in the core file (ascending) of the rows ``data`` holds. ``direct``:
    ``data`` holds the specimen table's own columns (``PostgresLoader.direct_columns``) and
    ``seen`` each row's catalogue number and line; otherwise ``data`` is ``CHANGED``'s
    (catalogue number, values, hash) and ``keys`` staging's (line, catalogue number, hash) of
    every row. ``probed``: the reader's probe found the rows unchanged but those of ``data``,
    so it holds only theirs."""

    rows: int
    data: bytes
    lines: array[int]
    direct: bool = False
    seen: bytes = b""
    keys: bytes = b""
    probed: bool = False

    def __len__(self) -> int:
        return self.rows


def _copy_text(value: object) -> str:
    """A constant as ``COPY`` text reads it."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def _copy_numbers(numbers: list[str]) -> list[str]:
    """The catalogue numbers as ``COPY`` text reads them: as they are, unless one holds a
    character ``COPY`` escapes (then each is escaped)."""
    text = "\n".join(numbers)
    if text.count("\n") == len(numbers) - 1 and not any(c in text for c in "\t\\\r"):
        return numbers
    return [number.translate(_COPY_ESCAPES) for number in numbers]


def _copy_values(values: Sequence[tuple[str, ...]], fields: Sequence[str]) -> list[str]:
    """Each row's values joined by tabs, as ``COPY`` text reads them: as they are, unless
    the batch holds a character ``COPY`` escapes (tabs and line breaks are counted: each row
    holds one tab fewer than its fields, one line break between rows), and then escaped row
    by row."""
    joined = list(map("\t".join, values))
    text, rows = "\n".join(joined), len(joined)
    if (
        text.count("\t") == (len(fields) - 1) * rows
        and text.count("\n") == rows - 1
        and "\\" not in text
        and "\r" not in text
    ):
        return joined
    return ["\t".join([value.translate(_COPY_ESCAPES) for value in row]) for row in values]


def changed_lines_sql(columns: SpecimenColumns, table: str) -> str:
    """The lines of ``table``'s rows (line, catalogue number, hash) that the collection (the
    parameter) does not hold with that hash: new, changed, or edited since (no hash)."""
    return (
        f"SELECT staged.line FROM {table} AS staged WHERE NOT EXISTS ("
        f"SELECT FROM {columns.table} AS specimen "
        f"WHERE specimen.{columns.collection} = %s "
        f"AND specimen.{columns.catalog_number} = staged.{columns.catalog_number} "
        f"AND specimen.{columns.import_hash} = staged.import_hash)"
    )


class ReaderProbe:
    """A reader's own connection, which finds a merging batch's new and changed rows before
    the reader writes their values, so that a re-import writes (and hands over) only theirs:
    writing every row's was a sixth of a reader's time, and the readers' CPU is the import's
    limit (bench/README.md). It reads what is committed, as the loader's own probe would a
    moment later: the import's earlier batches touch only other catalogue numbers (a repeat is
    rejected), and the merge, whatever it is given, rewrites a row only where its hash differs.
    Opened on first use, in the reader process (a connection never crosses a fork)."""

    def __init__(self, params: dict[str, Any], collection_id: int, columns: SpecimenColumns):
        self.params = params
        self.collection_id = collection_id
        self.sql = changed_lines_sql(columns, PROBED)
        self.copy_sql = f"COPY {PROBED} (line, {columns.catalog_number}, import_hash) FROM STDIN"
        self.number = columns.catalog_number
        self._connection: psycopg.Connection | None = None

    def changed_lines(self, keys: bytes) -> list[int]:
        """The lines, ascending, of the rows of ``keys`` (staging's text) the collection does
        not hold with their hash."""
        if self._connection is None:
            self._connection = self._open()
        with self._connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {PROBED}")
            with cursor.copy(self.copy_sql) as copy:
                copy.write(keys)
            cursor.execute(self.sql, [self.collection_id])
            return sorted(line for (line,) in cursor.fetchall())

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _open(self) -> psycopg.Connection:
        """Autocommit, with the loader's planner settings for its probe (a key a row)."""
        opened = psycopg.connect(**self.params, autocommit=True)
        for setting in ("enable_hashjoin = off", "enable_mergejoin = off", "jit = off"):
            opened.execute(f"SET {setting}")
        opened.execute(
            f"CREATE TEMPORARY TABLE {PROBED} (line bigint NOT NULL, "
            f"{self.number} text NOT NULL, import_hash bigint NOT NULL)"
        )
        return opened


class PostgresLoader:
    def __init__(self, collection_id: int, columns: SpecimenColumns) -> None:
        self.collection_id = collection_id
        self.columns = columns
        self.direct = False
        self._probe: ReaderProbe | None = None
        self._analyze_before_merging = False
        self._seen_file: BinaryIO | None = None  # ``SEEN``'s rows while loading directly
        fields = ", ".join(columns.fields)
        key = columns.catalog_number
        self._copy_sql = f"COPY {STAGING} (line, {key}, import_hash) FROM STDIN"
        self._copy_changed_sql = f"COPY {CHANGED} ({key}, {fields}, import_hash) FROM STDIN"
        self._claim_sql = (
            f"DELETE FROM {STAGING} AS staged USING {SEEN} AS seen "
            f'WHERE staged.{key} COLLATE "C" = seen.catalog_number '
            f"RETURNING staged.line, staged.{key}, seen.line"
        )
        self._remember_sql = (
            f"INSERT INTO {SEEN} (catalog_number, line) SELECT {key}, line FROM {STAGING}"
        )
        self._changed_lines_sql = changed_lines_sql(columns, STAGING)
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
        # A row of a direct batch from its catalogue number, values and hash (``str.format``:
        # the constants' text is taken as is, its braces doubled).
        tail = "".join(f"\t{_copy_text(value)}" for _c, value in columns.constants)
        tail = tail.replace("{", "{{").replace("}", "}}")
        self._direct_row = f"{collection_id}\t{{}}\t{{}}{tail}\t{{}}\n"

    def open(self) -> None:
        """Work tables for the import; ``direct`` if the collection has no specimens yet."""
        text_columns = ", ".join(f"{column} text NOT NULL" for column in self.columns.fields)
        with connection.cursor() as cursor:
            self._drop(cursor)
            number = f"{self.columns.catalog_number} text NOT NULL"
            cursor.execute(
                f"CREATE TABLE {STAGING} (line bigint NOT NULL, {number}, "
                "import_hash bigint NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE {CHANGED} ({number}, {text_columns}, import_hash bigint NOT NULL)"
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
            if not self.direct and not connection.in_atomic_block:
                # Only outside a caller's transaction: the probe's own connection could not
                # see its rows, and would wait for its locks.
                self._probe = ReaderProbe(
                    connection.get_connection_params(), self.collection_id, self.columns
                )
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
        self.done_reading()  # the probe of batches prepared in this process, if any
        if self._seen_file is not None:
            self._seen_file.close()
            self._seen_file = None
        with connection.cursor() as cursor:
            self._drop(cursor)

    def prepare(self, batch: MappedBatch) -> CopyRows:
        """The batch as COPY reads it, in the table's layout while this import loads directly
        (the reader process runs this, never on the importer's connection). Merging, with a
        ``ReaderProbe``, the values are written only for the rows it finds new or changed."""
        count, lines = len(batch), array("q", batch.lines)
        digests = row_hashes(batch.values)
        numbers, values = _copy_numbers(batch.catalog_numbers), batch.values
        fields = self.columns.fields
        if self.direct:
            data = "".join(
                map(self._direct_row.format, numbers, _copy_values(values, fields), digests)
            )
            seen = "".join(map("{}\t{}\n".format, numbers, lines))
            return CopyRows(count, data.encode(), lines, direct=True, seen=seen.encode())
        keys = "".join(map("{}\t{}\t{}\n".format, lines, numbers, digests)).encode()
        sent, probed = lines, self._probe is not None
        if self._probe is not None:  # the values of the rows it finds new or changed only
            sent = array("q", self._probe.changed_lines(keys))
            places = [bisect_left(lines, line) for line in sent]
            numbers = [numbers[i] for i in places]
            values = [values[i] for i in places]
            digests = tuple(digests[i] for i in places)
        data = "".join(map("{}\t{}\t{}\n".format, numbers, _copy_values(values, fields), digests))
        return CopyRows(count, data.encode(), sent, keys=keys, probed=probed)

    def done_reading(self) -> None:
        """A reader's last step: its probe's connection closed."""
        if self._probe is not None:
            self._probe.close()

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
        """A batch the readers wrote in the table's layout, in the merge's: each row's
        catalogue number, values and hash, and its keys (line, number, hash). Only the batches
        of an import that stopped loading directly, so Python's speed is enough."""
        values = slice(1, 2 + len(self.columns.fields))  # after the collection: number, values
        rows = [row.split(b"\t") for row in batch.data.split(b"\n")[:-1]]
        data = [b"\t".join((*row[values], row[-1])) for row in rows]
        keys = [
            b"%d\t%s\t%s" % (line, row[1], row[-1])
            for line, row in zip(batch.lines, rows, strict=True)
        ]
        return CopyRows(
            batch.rows, b"\n".join([*data, b""]), batch.lines, keys=b"\n".join([*keys, b""])
        )

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
        if batch.probed:
            repeated = {rejection.line for rejection in duplicates}
            changed = [(line,) for line in batch.lines if line not in repeated]
        else:
            cursor.execute(self._changed_lines_sql, [self.collection_id])
            changed = cursor.fetchall()
        cursor.execute("RESET enable_hashjoin")
        cursor.execute("RESET enable_mergejoin")
        created = updated = 0
        if changed:
            with cursor.copy(self._copy_changed_sql) as copy:
                copy.write(self._rows_of(batch, changed))
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
    def _rows_of(batch: CopyRows, lines: list[tuple[int]]) -> bytes:
        """The rows of ``batch.data`` on ``lines``, found by their place in the batch: all of
        them when every row is new or changed, as in a first import, without looking."""
        if len(lines) == len(batch.lines):
            return batch.data
        rows = batch.data.split(b"\n")
        kept = [rows[bisect_left(batch.lines, line)] for (line,) in lines]
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
