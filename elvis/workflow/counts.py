"""Counts of a request's rows (comments, attachments, items) as correlated subqueries.

``annotate(Count("comments"))`` joins every comment of every listed request and groups the
result: its cost grows with the table, and a COUNT of the list pays it again. A correlated
``(SELECT COUNT(*) … WHERE request_id = outer.id)`` is one index probe per row of the page,
and is evaluated only for the rows the page returns.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models import Count, IntegerField, Model, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def related_count(model: type[Model], related_name: str, **condition: Any) -> Coalesce:
    """The number of ``model``'s ``related_name`` rows (meeting ``condition``) of each row.

    Built once per arguments (hashable ones): ``annotate`` resolves a copy, never the
    expression itself, and building the subquery's filter on every list request was a few
    per cent of its CPU.
    """
    try:
        return _counted(model, related_name, tuple(sorted(condition.items())))
    except TypeError:  # an unhashable condition value (a list): built each time
        return _counted.__wrapped__(model, related_name, tuple(sorted(condition.items())))


@cache
def _counted(
    model: type[Model], related_name: str, condition: tuple[tuple[str, Any], ...]
) -> Coalesce:
    relation = model._meta.get_field(related_name)
    rows = relation.related_model._default_manager  # type: ignore[union-attr]
    fk = relation.field.name  # type: ignore[union-attr]
    counted = (
        rows.filter(**{fk: OuterRef("pk")}, **dict(condition))
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
