"""Counts of a request's rows (comments, attachments, items) as correlated subqueries.

``annotate(Count("comments"))`` joins every comment of every listed request and groups the
result: its cost grows with the table, and a COUNT of the list pays it again. A correlated
``(SELECT COUNT(*) … WHERE request_id = outer.id)`` is one index probe per row of the page,
and is evaluated only for the rows the page returns.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, Model, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def related_count(model: type[Model], related_name: str, **condition: Any) -> Coalesce:
    """The number of ``model``'s ``related_name`` rows (meeting ``condition``) of each row."""
    relation = model._meta.get_field(related_name)
    rows = relation.related_model._default_manager  # type: ignore[union-attr]
    fk = relation.field.name  # type: ignore[union-attr]
    counted = (
        rows.filter(**{fk: OuterRef("pk")}, **condition)
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
