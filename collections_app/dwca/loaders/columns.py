"""The specimen table as the loaders write it: quoted names and constant values, from the model.

Names come from ``Specimen._meta``, so a renamed column or table follows the model. Any other
column (``is_available`` today, or one added later with a default) gets its model default on
the rows an import creates and is never touched on the rows it updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db import connection
from django.db.models import Field
from django.utils import timezone

from collections_app.models import Specimen

from ..mapping import FIELD_NAMES

KEY = ("collection", "catalog_number")
TIMESTAMPS = ("created_at", "updated_at")
HASH = "import_hash"


@dataclass(frozen=True)
class SpecimenColumns:
    table: str
    collection: str
    catalog_number: str
    fields: tuple[str, ...]  # in the order of ``Record.values``
    created_at: str
    updated_at: str
    import_hash: str
    constants: tuple[tuple[str, Any], ...]  # (column, value) for the other columns


def specimen_columns() -> SpecimenColumns:
    quote = connection.ops.quote_name
    meta = Specimen._meta

    def column(name: str) -> str:
        field = cast("Field", meta.get_field(name))  # a column: its name is set
        return quote(cast(str, field.column))

    written = {*KEY, *FIELD_NAMES, *TIMESTAMPS, HASH, meta.pk.name}
    return SpecimenColumns(
        table=quote(meta.db_table),
        collection=column("collection"),
        catalog_number=column("catalog_number"),
        fields=tuple(column(name) for name in FIELD_NAMES),
        created_at=column("created_at"),
        updated_at=column("updated_at"),
        import_hash=column(HASH),
        constants=tuple(
            (
                quote(cast(str, field.column)),
                field.get_db_prep_save(field.get_default(), connection),
            )
            for field in meta.concrete_fields
            if field.name not in written
        ),
    )


def database_now() -> Any:
    """The current time as the database stores ``DateTimeField`` values."""
    return connection.ops.adapt_datetimefield_value(timezone.now())
