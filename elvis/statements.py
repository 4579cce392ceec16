"""Small ORM lookups of fixed shape, compiled by Django once per database and run with new values.

Django builds and compiles a queryset on every evaluation. For the lookups made on every API
request (the token of ``Authorization``, the caller's roles) that costs several times running
the statement: 2.8 million instructions to find a token with its user, of which running the SQL
is 0.24 (callgrind, bench/README.md), about a tenth of a 50-row request list.

``CompiledQuery(build)`` keeps, per database and shape, the SQL that ``build(*values, **shape)``
compiles to and where each of ``values`` sits among its parameters; a later call with the same
shape runs that SQL with its own values in those places. ``shape`` holds what changes the SQL
itself (the length of an ``IN`` list, a choice of filter); ``values`` only what Django passes as
parameters (ids, codes, dates), never ``None`` (which would be ``IS NULL``). A value that is not
found exactly once among the parameters (it equals another parameter, or Django rewrote it)
leaves the shape uncompiled for that call, which ``build``'s queryset answers as Django always
does; the next call tries again. Rows are model instances (``select_related`` included, no
annotations), ``values_list`` tuples or flat values, as the queryset itself would give.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    #: Where each value of the call goes among ``params``.
    positions: tuple[int, ...]
    #: The compiler that wrote ``sql``: its selected columns convert and build the rows.
    compiler: SQLCompiler
    #: What a row is: a model instance, a tuple (``values_list``) or its one value (``flat``).
    iterable: type


class CompiledQuery:
    """``build(*values, **shape)``'s queryset, compiled once per database and ``shape``."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}

    def rows(self, *values: Any, using: str = "default", **shape: Hashable) -> list[Any]:
        """What the queryset yields: instances (with their ``select_related`` objects),
        ``values_list`` tuples or, flat, its values."""
        compiled = None if None in values else self._compile(values, using, shape)
        if compiled is None:
            return list(self.build(*values, **shape).using(using))
        connection = connections[using]
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = _as_parameter(value, connection)
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        rows = compiled.compiler.results_iter(results=[fetched])
        if compiled.iterable is FlatValuesListIterable:
            return [row[0] for row in rows]
        if compiled.iterable is ValuesListIterable:
            return [tuple(row) for row in rows]
        return list(_instances(compiled.compiler, rows, using))

    def _compile(
        self, values: Sequence[Any], using: str, shape: dict[str, Hashable]
    ) -> _Compiled | None:
        key = (using, tuple(sorted(shape.items())))
        if key in self._compiled:
            return self._compiled[key]
        queryset = self.build(*values, **shape).using(using)
        iterable = queryset._iterable_class
        if iterable not in (ModelIterable, ValuesListIterable, FlatValuesListIterable):
            raise TypeError(f"{iterable.__name__}: rows of this kind are not compiled once")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if iterable is ModelIterable and compiler.annotation_col_map:
            raise TypeError("Annotated model rows are not compiled once")
        connection = connections[using]
        positions: list[int] = []
        for value in values:
            wanted = _as_parameter(value, connection)
            found = [n for n, param in enumerate(params) if _same(param, wanted)]
            if len(found) != 1 or found[0] in positions:
                return None  # this time the ORM answers; the next call tries again
            positions.append(found[0])
        compiled = _Compiled(sql, tuple(params), tuple(positions), compiler, iterable)
        self._compiled[key] = compiled
        return compiled


def _same(param: Any, value: Any) -> bool:
    return type(param) is type(value) and param == value


def _as_parameter(value: Any, connection: BaseDatabaseWrapper) -> Any:
    """``value`` as the database's parameters carry it (SQLite's dates are text)."""
    operations = connection.ops
    if isinstance(value, datetime.datetime):
        return operations.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return operations.adapt_datefield_value(value)
    if isinstance(value, decimal.Decimal):
        return operations.adapt_decimalfield_value(value)
    return value


def _instances(compiler: SQLCompiler, rows: Iterable[Any], using: str) -> Iterator[Model]:
    """Model instances of converted ``rows``, with their ``select_related`` objects, as
    Django's ``ModelIterable`` builds them from the same compiler."""
    select, klass_info = compiler.select, compiler.klass_info
    assert klass_info is not None
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    # Django 5.2's signature (the stubs already describe a later one).
    populators = get_related_populators(klass_info, select, using)  # type: ignore[call-arg]
    model = klass_info["model"]
    for row in rows:
        obj = model.from_db(using, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        yield obj
