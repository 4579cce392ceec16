"""Counts of a request's rows (comments, attachments, items) as correlated subqueries.

``annotate(Count("comments"))`` joins every comment of every listed request and groups the
result: its cost grows with the table, and a COUNT of the list pays it again. A correlated
``(SELECT COUNT(*) … WHERE request_id = outer.id)`` is one index probe per row of the page,
and is evaluated only for the rows the page returns.

The subquery is written as SQL of its own (``RelatedCount``), not as a ``Subquery`` of a
queryset: Django compiled that nested query (its own select, where, GROUP BY and COALESCE)
on every request, for every count of every list row; its text is fixed once the relation is
known, and the outer row's key is the only part that varies (bench/README.md).
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from django.db.models import F, Field, Func, IntegerField, Model


class RelatedCount(Func):
    """``(SELECT COUNT(*) FROM <related table> WHERE <its key to us> = <our pk> [AND …])``.

    The outer key is an expression (``F("pk")``), so Django names it by whatever alias the
    outer table has, as a subquery or in a join; the related table is aliased ``counted``,
    a name Django never gives a table.
    """

    output_field = IntegerField()

    def __init__(self, table: str, key: str, conditions: tuple[tuple[str, Any], ...]) -> None:
        super().__init__(F("pk"))
        self.table = table
        self.key = key
        self.conditions = conditions

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        outer, params = compiler.compile(self.source_expressions[0])
        quote = connection.ops.quote_name
        where = [f"counted.{quote(self.key)} = {outer}"]
        values = list(params)
        for column, value in self.conditions:
            where.append(f"counted.{quote(column)} = %s")
            values.append(value)
        sql = f"(SELECT COUNT(*) FROM {quote(self.table)} counted WHERE {' AND '.join(where)})"
        return sql, values


def related_count(model: type[Model], related_name: str, **condition: Any) -> RelatedCount:
    """The number of ``model``'s ``related_name`` rows (whose fields equal ``condition``) of
    each row. Built once per arguments: ``annotate`` resolves a copy, never the expression."""
    return _counted(model, related_name, tuple(sorted(condition.items())))


@cache
def _counted(
    model: type[Model], related_name: str, condition: tuple[tuple[str, Any], ...]
) -> RelatedCount:
    relation = model._meta.get_field(related_name)
    related = relation.related_model
    fields = related._meta  # type: ignore[union-attr]
    conditions = []
    for name, value in condition:
        # A field of the related rows, compared for equality.
        field = cast("Field", fields.get_field(name))
        conditions.append((cast(str, field.column), field.get_prep_value(value)))
    key = cast(str, relation.field.column)  # type: ignore[union-attr]
    return RelatedCount(fields.db_table, key, tuple(conditions))
