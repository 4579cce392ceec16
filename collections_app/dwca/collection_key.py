"""Large PostgreSQL loads: the specimen table's foreign key to its collection, set aside.

PostgreSQL checks that key for every row inserted (a lookup of the collection, queued for the
batch's commit since Django's keys are deferred): 8 µs a row, more than a quarter of a
million-row first import once its search indexes are deferred (bench/README.md). Every row an
import writes names the same collection, so one check per batch says what a million did:
the loader locks the collection ``FOR KEY SHARE`` as each batch begins (``hold``), the lock
each row's check would have taken, and a collection deleted meanwhile stops the import
before a row of it is written.

The key is set aside with the search indexes (the same lock, the same ``--indexes`` choice,
see ``indexes``) and comes back with them, however the load ends: added ``NOT VALID`` (rows
written from then on are checked; a brief lock), then validated by one scan that lets reads
and writes go on. An import killed outright leaves it to the next import or to
``manage.py specimen_indexes``, as it leaves the indexes. SQLite keeps its key: it is the
embedded default of development machines, whose loads are small.

What the key alone would still refuse: deleting the collection while a batch of its rows is
being written. The admin's delete removes the specimens it sees, then waits for the batch's
lock on the collection, then deletes it, leaving that batch's rows naming no collection. The
next batch stops the import, and validating the key then fails loudly with the fix (the key
stays ``NOT VALID``, checking every new row, until those rows are removed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db import IntegrityError, connection
from django.db.backends.utils import CursorWrapper
from django.utils.translation import gettext_lazy as _

from collections_app.models import Collection, Specimen

from .errors import ImportFailed

FIELD = Specimen._meta.get_field("collection")


@dataclass(frozen=True)
class KeyState:
    """The key as the database has it: its name, and whether every row has been checked."""

    name: str
    validated: bool


def applies() -> bool:
    return connection.vendor == "postgresql"


def state(cursor: CursorWrapper) -> KeyState | None:
    """The specimen table's key on its collection column, or None if it has none."""
    cursor.execute(
        "SELECT constraint_.conname, constraint_.convalidated FROM pg_constraint constraint_ "
        "JOIN pg_attribute column_ ON column_.attrelid = constraint_.conrelid "
        "AND column_.attnum = ANY (constraint_.conkey) "
        "WHERE constraint_.conrelid = %s::regclass AND constraint_.contype = 'f' "
        "AND column_.attname = %s",
        [Specimen._meta.db_table, FIELD.column],
    )
    row = cursor.fetchone()
    return KeyState(*row) if row else None


def missing() -> bool:
    """Whether the key is gone or not yet validated (a load set it aside)."""
    if not applies():
        return False
    with connection.cursor() as cursor:
        found = state(cursor)
    return found is None or not found.validated


def drop(cursor: CursorWrapper) -> None:
    """Inside the caller's transaction, which holds the table (``indexes.drop``)."""
    found = state(cursor)
    if found is not None:
        cursor.execute(f"ALTER TABLE {_table()} DROP CONSTRAINT {_quote(found.name)}")


def restore() -> bool:
    """Add the key back if it is gone, then validate it; True if there was anything to do.
    A row naming no collection (written without the key by something else than an import)
    fails it loudly, and the key stays ``NOT VALID``: checking new rows, never hiding the old."""
    with connection.cursor() as cursor:
        found = state(cursor)
        if found is not None and found.validated:
            return False
        if found is None:
            # The name and definition the migration gave it (``deferrable`` included), written
            # by the schema editor's own method for it, which its stubs leave out.
            editor: Any = connection.schema_editor()
            statement = editor._create_fk_sql(Specimen, FIELD, "_fk_%(to_table)s_%(to_column)s")
            cursor.execute(f"{statement} NOT VALID")
            found = state(cursor)
            assert found is not None
        try:
            cursor.execute(f"ALTER TABLE {_table()} VALIDATE CONSTRAINT {_quote(found.name)}")
        except IntegrityError as exc:
            raise ImportFailed(
                _(
                    "Some specimens name a collection that does not exist, so the key from "
                    "specimens to collections could not be validated (%(error)s). Delete or "
                    "reassign them, then run manage.py specimen_indexes."
                )
                % {"error": exc}
            ) from exc
    return True


def hold(cursor: CursorWrapper, collection_id: int) -> None:
    """Lock the collection for the batch in progress as the key's check of a row would, and
    stop if it is gone (deleted since the import began)."""
    cursor.execute(
        f"SELECT 1 FROM {_quote(Collection._meta.db_table)} "
        f"WHERE {_quote(cast(str, Collection._meta.pk.column))} = %s FOR KEY SHARE",
        [collection_id],
    )
    if cursor.fetchone() is None:
        raise ImportFailed(_("The collection was deleted during the import; it stopped there."))


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _table() -> str:
    return _quote(Specimen._meta.db_table)
