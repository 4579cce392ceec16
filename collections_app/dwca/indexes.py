"""Large PostgreSQL imports: the specimen search indexes dropped for the load, rebuilt after
(and the key from specimens to their collection with them: ``collection_key``).

Kept live, each of the search indexes is updated row by row as the merge writes; bench/README.md
measures that upkeep at several times the cost of the rows themselves. Built once from the
loaded table (sorted, with PostgreSQL's parallel workers) the same indexes cost a fraction, as
``pg_restore`` knows. The unique (collection, catalogue number) index is never dropped: the
merge's ``ON CONFLICT`` needs it, and it keeps the catalogue's one invariant.

The trade-off, chosen per import (``--indexes``): while the indexes are gone, search still
answers, by scanning the table, so it is slow; the rebuild takes a SHARE lock, so writes to
specimens (a loan taking one) wait for it. ``auto`` pays that only for a load big enough that
live upkeep would cost more than the rebuild: many new rows, and many relative to the table.

Each build sorts in ``DWCA_INDEX_BUILD_MEMORY`` (16MB): less than PostgreSQL's default of
64MB, not more. A sort of millions of keys in memory at once compares tuples scattered across
hundreds of megabytes, a cache miss each; sorted in runs that stay in the CPU's caches and
merged after (the temporary files stay in the page cache), the ten builds of 5M rows took
27.9 s against 41.7–44.0 s in 256MB (2MB–8MB: 26.2–28.4 s, 64MB: 34.4–34.8 s), and of 1M rows
6.3–6.8 s against 7.6–8.0 s (bench/README.md). ``DWCA_INDEX_BUILD_MEMORY`` lets a server with
other caches choose its own.

The rebuild runs ``BUILDERS`` index builds at once, each on a connection of its own (PostgreSQL
lets several ``CREATE INDEX`` share a table): a build is one sort on one core, and a bigger
index does not wait for a smaller one. Inside a caller's transaction (the tests, a migration),
or on SQLite, the builds run one after the other on the caller's connection, as other
connections could not see its rows or would wait for its locks.

The indexes and the key come back whatever happens: an import rebuilds them as it ends,
interrupted or not; one killed outright leaves them to the next import, which first rebuilds
any that are missing, or to ``manage.py specimen_indexes``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.utils import CursorWrapper
from django.db.models import F, Index
from django.utils.translation import gettext_lazy as _
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from collections_app.models import Collection, Specimen

from . import collection_key
from .errors import ImportFailed

#: ``auto`` defers only a load of at least this many new rows…
DEFER_MIN_ROWS = 200_000
#: …that is also at least this share of the rows already in the table.
DEFER_MIN_SHARE = 0.25
#: Dropping needs the table to itself. While it waits for the searches in progress, the
#: searches that arrive queue behind it, so it waits briefly, lets them through, and tries again.
DROP_LOCK_TIMEOUT = "2s"
DROP_ATTEMPTS = 5
DROP_PAUSE_SECONDS = 1.0
#: Index builds at once, one connection each (PostgreSQL's own parallel workers are turned off
#: for them: the builds are the parallelism, and more processes than cores only queue).
BUILDERS = 2


class IndexMode(StrEnum):
    AUTO = "auto"
    KEEP = "keep"
    REBUILD = "rebuild"


@dataclass
class IndexReport:
    """What an import did to the search indexes, for its summary."""

    deferred: bool = False
    rebuilt: int = 0
    seconds: float = 0.0
    connections: int = 0  # that built them at once
    key_restored: bool = False  # the collection key added back and validated

    def summary(self) -> str:
        lines: list[object] = []
        if self.rebuilt:
            lines.append(
                _("Search indexes: %(count)d rebuilt in %(seconds).1f s%(why)s.")
                % {
                    "count": self.rebuilt,
                    "seconds": self.seconds,
                    "why": _(" after the load") if self.deferred else _(" (missing before it)"),
                }
            )
        if self.key_restored and not self.deferred:
            lines.append(KEY_RESTORED)
        return "\n".join(str(line) for line in lines)


KEY_RESTORED = _(
    "The key from specimens to their collection was missing (an import was stopped "
    "outright); it is back and every specimen was checked against it."
)


def search_indexes() -> list[Index]:
    """Every index of ``Specimen`` but its unique constraint."""
    return list(Specimen._meta.indexes)


def missing_indexes() -> list[Index]:
    with connection.cursor() as cursor:
        present = connection.introspection.get_constraints(cursor, Specimen._meta.db_table)
    return [index for index in search_indexes() if index.name not in present]


def longest_first(indexes: Iterable[Index]) -> list[Index]:
    """``indexes`` by their build's expected length, longest first, so that the builders end
    together (a long build taken last keeps one core busy alone: the ten of 1M rows took 13.9 s
    in this order, 15.4 s in the model's; bench/README.md). A build sorts every
    row on its key: whole indexes before partial ones (a type status is on a few percent of
    the rows), then more key parts, then more computed ones (``Upper``) first."""

    def length(index: Index) -> tuple[bool, int, int]:
        computed = sum(not isinstance(part, F) for part in index.expressions)
        return index.condition is None, len(index.fields) + len(index.expressions), computed

    return sorted(indexes, key=length, reverse=True)


def build_missing(
    announce: Callable[[str], None] | None = None, report: IndexReport | None = None
) -> IndexReport:
    """Build the search indexes that are missing and restore the collection key if a load set
    it aside; ``report`` (a new one if None) says how many, in how many seconds, on how many
    connections at once."""
    report = report or IndexReport()
    missing = longest_first(missing_indexes())
    started = time.perf_counter()
    if missing:
        if announce:
            announce(str(_("Building %(count)d search indexes…") % {"count": len(missing)}))
        builders = min(BUILDERS, len(missing))
        if connection.vendor != "postgresql" or connection.in_atomic_block or builders < 2:
            builders = 1
            _build_here(missing)
        else:
            _build_at_once(missing, builders)
        with connection.cursor() as cursor:
            # Fresh statistics, or the planner plans searches on the table before the load.
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Specimen._meta.db_table)}")
        report.rebuilt, report.connections = len(missing), builders
    if collection_key.applies():
        with _checks_now():
            report.key_restored = collection_key.restore()
    report.seconds = time.perf_counter() - started if missing or report.key_restored else 0.0
    return report


@contextmanager
def _checks_now() -> Iterator[None]:
    """Inside a caller's transaction (the tests, a migration), PostgreSQL cannot alter a table
    with foreign-key checks still pending (Django defers them): check them now, as migrations
    do, and defer again after."""
    if not connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        try:
            yield
        finally:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _build_here(missing: list[Index]) -> None:
    """One after the other on this connection, each in its own transaction (savepoint)."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            _sort_memory(cursor)
        try:
            # One index per transaction: an interruption keeps the ones already built.
            with _checks_now() if postgresql else nullcontext():
                for index in missing:
                    with transaction.atomic():
                        cursor.execute(str(index.create_sql(Specimen, _sql_writer())))
        finally:
            if postgresql:
                cursor.execute("RESET maintenance_work_mem")


def _sort_memory(cursor: CursorWrapper) -> None:
    """This session's index builds sort in ``DWCA_INDEX_BUILD_MEMORY`` (see the top)."""
    cursor.execute(
        "SELECT set_config('maintenance_work_mem', %s, false)", [settings.DWCA_INDEX_BUILD_MEMORY]
    )


def _build_at_once(missing: list[Index], builders: int) -> None:
    """``builders`` threads, each on its own connection, take the next index until none is
    left. The SQL is written here, on this thread: a schema editor belongs to a connection."""
    statements = queue.SimpleQueue[str]()
    for index in missing:
        statements.put(str(index.create_sql(Specimen, _sql_writer())))
    stop = threading.Event()
    failures: list[BaseException] = []

    def build() -> None:
        try:
            with connection.cursor() as cursor:  # this thread's own connection
                _sort_memory(cursor)
                cursor.execute("SET max_parallel_maintenance_workers = 0")
                while not stop.is_set():
                    try:
                        statement = statements.get_nowait()
                    except queue.Empty:
                        return
                    cursor.execute(statement)  # autocommit: each index kept once built
        except BaseException as exc:  # reported on the caller's thread
            stop.set()
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=build, daemon=True) for _ in range(builders)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        stop.set()  # interrupted: no new build starts; the ones running finish or die with us
    if failures:
        raise failures[0]


def should_defer(mode: IndexMode, collection: Collection, archive_rows: int) -> bool:
    """Whether this load drops the search indexes. ``auto`` (see the top) weighs it on
    PostgreSQL only: SQLite is the embedded default of development machines, not of
    catalogues of millions."""
    if mode is not IndexMode.AUTO:
        return mode is IndexMode.REBUILD
    if connection.vendor != "postgresql":
        return False
    # Rows the collection already has are updates (or nothing) rather than new index entries.
    new_rows = archive_rows - Specimen.objects.filter(collection=collection).count()
    return new_rows >= DEFER_MIN_ROWS and new_rows >= DEFER_MIN_SHARE * _table_estimate()


def _table_estimate() -> int:
    """The planner's row count of the specimen table: free, and close enough for a ratio."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
            [Specimen._meta.db_table],
        )
        return cursor.fetchone()[0]


@contextmanager
def search_indexes_for_load(
    defer: bool, announce: Callable[[str], None] | None = None
) -> Iterator[IndexReport]:
    """Around the batches of one import: indexes complete before, dropped during if ``defer``,
    and complete again after, however the load ends. ``announce`` hears of long builds."""
    report = IndexReport(deferred=defer)
    if not defer:
        yield build_missing(announce, report)
        return
    try:
        # Inside: an interruption that lands as the drop commits (the indexes gone, the drop
        # not yet returned) still rebuilds them. A drop that fails changed nothing, and the
        # rebuild then finds nothing missing.
        drop(search_indexes(), key=collection_key.applies())
        yield report
    finally:
        build_missing(announce, report)


def drop(indexes: list[Index], *, key: bool = False) -> None:
    """All or none (with the collection key if ``key``), each attempt waiting at most
    ``DROP_LOCK_TIMEOUT`` for the table."""
    attempts = Retrying(
        retry=retry_if_exception_type(OperationalError),
        stop=stop_after_attempt(DROP_ATTEMPTS),
        wait=wait_fixed(DROP_PAUSE_SECONDS),
        reraise=True,
    )
    try:
        attempts(_drop_once, indexes, key)
    except OperationalError as exc:
        raise ImportFailed(
            _(
                "Could not drop the search indexes for this large load: the specimen table "
                "stayed busy (%(attempts)d tries of %(timeout)s: %(error)s). Try again when it "
                "is quieter, or import with --indexes keep."
            )
            % {"attempts": DROP_ATTEMPTS, "timeout": DROP_LOCK_TIMEOUT, "error": exc}
        ) from exc


def _drop_once(indexes: list[Index], key: bool) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
        for index in indexes:
            cursor.execute(str(index.remove_sql(Specimen, _sql_writer())))
        if key:
            with _checks_now():
                collection_key.drop(cursor)


def _sql_writer() -> BaseDatabaseSchemaEditor:
    """A schema editor used only to write the SQL of the model's own index definitions (as
    its migrations did). Not entered: SQLite's refuses to enter inside a transaction. The
    empty deferred list is what entering would set (``remove_sql`` prunes it)."""
    editor = connection.schema_editor()
    editor.deferred_sql = []
    return editor
