"""Specimen list pages as rows (named tuples of ``values_list``) instead of model instances.

A page of 50 specimens with their collection and institution built 150 model instances, which
cost more CPU than the query itself; the answer needs a few plain values of each. The keyset
paginator reads the ordering's values from a page's last row by attribute, so a row carries
them too (``catalog_number_upper`` and the like are the search's annotations).
"""

from __future__ import annotations

from functools import reduce
from types import SimpleNamespace

from django.db.models import QuerySet

from collections_app.models import Specimen

#: What a specimen's answer shows, named as ``values_list`` names them (relations through ``__``).
COLUMNS: tuple[str, ...] = (
    "id",
    "collection_id",
    "collection__code",
    "collection__name",
    "collection__institution__code",
    "catalog_number",
    "occurrence_id",
    "scientific_name",
    "family",
    "type_status",
    "country",
    "locality",
    "event_date",
    "preparations",
    "is_available",
    "created_at",
    "updated_at",
)


def specimen_rows(queryset: QuerySet) -> QuerySet:
    """``queryset`` (searched and ordered) as named rows of ``COLUMNS`` and its ordering."""
    ordering = [str(name).lstrip("-") for name in queryset.query.order_by]
    extra = [name for name in ordering if name not in COLUMNS]
    return queryset.values_list(*COLUMNS, *extra, named=True)


def row_of(specimen: Specimen) -> SimpleNamespace:
    """A model instance (a detail, an answer to a write) as the same row."""
    return SimpleNamespace(
        **{name: reduce(getattr, name.split("__"), specimen) for name in COLUMNS}
    )
