"""Batch upserts of specimens, one loader per database, each the fastest way it allows.

A loader writes batches of mapped records into one collection and counts exactly what it
created, updated and left unchanged. A row changes (and its ``updated_at`` moves, which partners'
incremental sync reads) only when one of its imported values differs. A catalogue number that
an earlier batch of the same archive already had is rejected as a duplicate (the first row
wins), so re-importing an archive always gives the same catalogue. The caller runs each batch in
its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from collections_app.models import Collection

from .columns import specimen_columns
from .outcome import Loader, LoadOutcome
from .postgres import PostgresLoader
from .sqlite import SqliteLoader

LOADERS: dict[str, type[PostgresLoader] | type[SqliteLoader]] = {
    "postgresql": PostgresLoader,
    "sqlite": SqliteLoader,
}

__all__ = ["LOADERS", "LoadOutcome", "Loader", "loader_for"]


@contextmanager
def loader_for(collection: Collection) -> Iterator[Loader]:
    """The loader of the database in use, with its work tables for the length of the import."""
    try:
        loader = LOADERS[connection.vendor](collection.pk, specimen_columns())
    except KeyError:
        raise ImproperlyConfigured(
            f"import_dwca supports PostgreSQL and SQLite, not {connection.vendor}."
        ) from None
    loader.open()
    try:
        yield loader
    finally:
        loader.close()
