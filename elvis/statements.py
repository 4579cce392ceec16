"""Small ORM lookups of fixed shape, compiled by Django once per database and run with new values.

Django builds and compiles a queryset on every evaluation. For the lookups made on every API
request (the token of ``Authorization``, the caller's roles) that costs several times running
the statement: 2.8 million instructions to find a token with its user, of which running the SQL
is 0.24 (callgrind, bench/README.md), about a tenth of a 50-row request list.

``CompiledQuery(build)`` keeps, per database and shape, the SQL that ``build(*values, **shape)``
compiles to and where each of ``values`` sits among its parameters (found by compiling the shape
again with every value moved: the parameters that change are the values' places); a later call
with the same shape runs that SQL with its own values in those places. ``shape`` holds what
changes the SQL itself (the length of an ``IN`` list, a choice of filter, a boolean); ``values``
only what Django passes as parameters (ids, codes, dates), never ``None`` (which would be ``IS
NULL``). A value without a place of its own (Django rewrote it, e.g. ``%term%``) leaves the
shape uncompiled for that call, which ``build``'s queryset answers as Django always does; the
next call tries again. Rows are model instances (``select_related`` and annotations included),
``values_list`` tuples (named or not) or flat values, as the queryset itself would give; the
instances are made as ``from_db`` makes them, without its ``__init__`` where nothing could tell
the difference (``_builder``): a page of 50 requests builds 150.
"""

from __future__ import annotations

import datetime
import decimal
import inspect
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, cast

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    RelatedPopulator,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.query import Query
from django.db.models.utils import create_namedtuple_class


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    #: Where each value of the call goes among ``params`` (a value may be used twice).
    positions: tuple[tuple[int, ...], ...]
    #: The compiler that wrote ``sql``: its selected columns convert and build the rows.
    compiler: SQLCompiler
    #: What a row is: a model instance, a tuple (``values_list``), a named tuple of this class
    #: (``values_list(named=True)``) or its one value (``flat``).
    iterable: type
    row_class: type | None = None


class CompiledQuery:
    """``build(*values, **shape)``'s queryset, compiled once per database and ``shape``."""

    #: Shapes kept per database, the least recently compiled dropped first: a list's shapes
    #: (filters, orderings, page sizes) are many, and callers choose them.
    max_shapes = 512

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, *values: Any, using: str = "default", **shape: Any) -> list[Any]:
        """What the queryset yields: instances (with their ``select_related`` objects),
        ``values_list`` tuples or, flat, its values. ``shape``'s values are hashable."""
        compiled = None if None in values else self._compile(values, using, shape)
        if compiled is None:
            return list(self.build(*values, **shape).using(using))
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, self._bound(compiled, values, using))
            fetched = cursor.fetchall()
        rows = compiled.compiler.results_iter(results=[fetched])
        if compiled.iterable is FlatValuesListIterable:
            return [row[0] for row in rows]
        if compiled.iterable is ValuesListIterable:
            return [tuple(row) for row in rows]
        if compiled.row_class is not None:
            new = tuple.__new__
            return [new(compiled.row_class, row) for row in rows]
        return list(_instances(compiled.compiler, rows, using))

    def statement(
        self, *values: Any, using: str = "default", **shape: Any
    ) -> tuple[str, list[Any]] | None:
        """The SQL and parameters that ``rows`` would run, for a caller that runs it inside a
        statement of its own (``exist_each``): the compiled shape's SQL with these values, or
        the built queryset's own where ``rows`` would ask the ORM. None for a query that has
        no SQL because it can find nothing (``EmptyResultSet``)."""
        compiled = None if None in values else self._compile(values, using, shape)
        if compiled is not None:
            return compiled.sql, self._bound(compiled, values, using)
        return sql_of(self.build(*values, **shape).query, using)

    @staticmethod
    def _bound(compiled: _Compiled, values: Sequence[Any], using: str) -> list[Any]:
        """The compiled parameters with ``values`` in their places."""
        connection = connections[using]
        params = list(compiled.params)
        for places, value in zip(compiled.positions, values, strict=True):
            bound = _as_parameter(value, connection)
            for place in places:
                params[place] = _typed_as(compiled.params[place], bound)
        return params

    def _compile(
        self, values: Sequence[Any], using: str, shape: dict[str, Any]
    ) -> _Compiled | None:
        key = (using, tuple(sorted(shape.items())))
        found = self._compiled.get(key)  # one read: another thread may drop the key
        if found is not None:
            return found
        queryset = self.build(*values, **shape).using(using)
        iterable = queryset._iterable_class
        if iterable not in _ROWS:
            raise TypeError(f"{iterable.__name__}: rows of this kind are not compiled once")
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None  # no SQL to run (e.g. ``pk__in=[]``): the ORM answers without any
        positions = self._positions(values, params, using, shape)
        if positions is None:
            return None  # this time the ORM answers; the next call tries again
        row_class = None
        if iterable is NamedValuesListIterable:
            query = queryset.query
            names = cast(Any, queryset)._fields or [
                *query.extra_select,
                *query.values_select,
                *query.annotation_select,
            ]
            row_class = create_namedtuple_class(*names)
        compiled = _Compiled(sql, tuple(params), positions, compiler, iterable, row_class)
        with self._lock:
            while len(self._compiled) >= self.max_shapes:
                del self._compiled[next(iter(self._compiled))]
            self._compiled[key] = compiled
        return compiled

    def _positions(
        self, values: Sequence[Any], params: Sequence[Any], using: str, shape: dict[str, Any]
    ) -> tuple[tuple[int, ...], ...] | None:
        """Where each of ``values`` sits among ``params``: the shape is compiled again with each
        value moved (``_moved_values``), and each parameter that moved is the place of the one value
        it equals before and after. A constant equal to a value by chance does not move; a
        value used twice (a subquery repeating a filter) has two places. None when a value has
        no place, or a parameter that moved belongs to no value or to two (Django rewrote it)."""
        moved = _moved_values(values)
        if moved is None:
            return None
        try:
            queryset = self.build(*moved, **shape).using(using)
            _, moved_params = queryset.query.get_compiler(using=using).as_sql()
        except (EmptyResultSet, ValidationError, ValueError, TypeError, OverflowError):
            # A moved value the query refuses (out of a field's range, not a valid value of
            # its field): this call is the ORM's, with the request's own values.
            return None
        if len(moved_params) != len(params):
            return None
        connection = connections[using]
        pairs = [
            (_as_parameter(value, connection), _as_parameter(other, connection))
            for value, other in zip(values, moved, strict=True)
        ]
        places: list[list[int]] = [[] for _ in values]
        for n, (param, other) in enumerate(zip(params, moved_params, strict=True)):
            if _same(other, param):
                continue  # a constant of the SQL
            owners = [i for i, (v, m) in enumerate(pairs) if _same(param, v) and _same(other, m)]
            if len(owners) != 1:
                return None
            places[owners[0]].append(n)
        if not all(places):
            return None
        return tuple(tuple(place) for place in places)


def sql_of(query: Query, using: str) -> tuple[str, list[Any]] | None:
    """``query``'s SQL and parameters, or None when it has none: it can find nothing."""
    try:
        sql, params = query.get_compiler(using=using).as_sql()
    except EmptyResultSet:
        return None
    return sql, list(params)


def exist_each(statements: Sequence[tuple[str, Sequence[Any]] | None], using: str) -> list[bool]:
    """Whether each statement (a ``SELECT``; None: one that finds nothing) finds a row, all
    asked in one statement of ``EXISTS`` tests: one round trip to the database, not one each.

    The specimen search probes up to three meanings of ``q`` before reading its page
    (``collections_app.search``): asked one by one, they were three of a picker request's four
    statements, each paying the way to the database and back, and the database's handling of
    a statement, for an index lookup of a few microseconds.
    """
    asked = [statement for statement in statements if statement is not None]
    if not asked:
        return [False] * len(statements)
    sql = "SELECT " + ", ".join(f"EXISTS ({select})" for select, _ in asked)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [param for _, params in asked for param in params])
        answers = iter(cursor.fetchone())
    return [statement is not None and bool(next(answers)) for statement in statements]


#: The kinds of rows a compiled query gives, as Django's iterables of the same name would.
_ROWS = (ModelIterable, ValuesListIterable, NamedValuesListIterable, FlatValuesListIterable)


def _same(param: Any, value: Any) -> bool:
    """``param`` is ``value`` as the backend passes it: of its type, or an integer the backend
    typed for the database (PostgreSQL's ``Int4``, ``Int8`` of an expression's value)."""
    typed_int = type(value) is int and isinstance(param, int) and not isinstance(param, bool)
    return (type(param) is type(value) or typed_int) and param == value


#: How far apart moved values of an ordered type are (``_moved_values``).
_STEPS: dict[type, Any] = {
    int: 1,
    float: 1.0,
    decimal.Decimal: decimal.Decimal(1),
    datetime.datetime: datetime.timedelta(microseconds=1),
    datetime.date: datetime.timedelta(days=1),
}


def _moved_values(values: Sequence[Any]) -> list[Any] | None:
    """Other values of the same types, all different from one another and from ``values``:
    an ordered type's values are moved past the largest of its kind (moving each by a little
    could make two equal, which an ``IN`` list drops), a text gets a suffix of its own. None
    when a value's type may change the SQL itself (a boolean) or is not known here."""
    tops: dict[type, Any] = {}
    for value in values:
        kind = type(value)
        if kind in _STEPS and (kind not in tops or value > tops[kind]):
            tops[kind] = value
    moved = []
    for n, value in enumerate(values, start=1):
        kind = type(value)
        if isinstance(value, str):
            moved.append(f"{value}\u2060{n}")
        elif kind in _STEPS:
            try:
                moved.append(tops[kind] + _STEPS[kind] * n)
            except OverflowError:  # the last day a date can hold: this call is the ORM's
                return None
        else:
            return None  # bool, or a type of unknown effect on the SQL
    return moved


def _typed_as(compiled: Any, value: Any) -> Any:
    """``value`` in the type the backend gave the compiled value (``Int4``, ``Int8``)."""
    return value if type(value) is type(compiled) else type(compiled)(value)


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
    build = _builder(klass_info["model"], init_list, using)
    related = [(populator, _related_builders(populator, using)) for populator in populators]
    annotations = (compiler.annotation_col_map or {}).items()
    for row in rows:
        obj = build(row[start:end])
        for populator, builders in related:
            _populate(populator, builders, row, obj)
        for name, column in annotations:
            setattr(obj, name, row[column])
        yield obj


#: A populator's builder, and its own related populators' (``select_related`` nests).
_Builders = tuple[Callable[[Sequence[Any]], Model], list[tuple[RelatedPopulator, Any]]]


def _related_builders(populator: RelatedPopulator, using: str) -> _Builders:
    build = _builder(populator.model_cls, populator.init_list, using)
    nested = [(inner, _related_builders(inner, using)) for inner in populator.related_populators]
    return build, nested


def _populate(populator: RelatedPopulator, builders: _Builders, row: Any, from_obj: Model) -> None:
    """Django's ``RelatedPopulator.populate`` (5.2), its instances made by ``builders``."""
    build, nested = builders
    if populator.reorder_for_init:
        data = populator.reorder_for_init(row)
    else:
        data = row[populator.cols_start : populator.cols_end]
    obj = None
    if data[populator.pk_idx] is not None:
        obj = build(data)
        for inner, inner_builders in nested:
            _populate(inner, inner_builders, row, obj)
    populator.local_setter(from_obj, obj)
    if obj is not None:
        populator.remote_setter(obj, from_obj)


def _builder(
    model: type[Model], field_names: Sequence[str], using: str
) -> Callable[[Sequence[Any]], Model]:
    """What ``model.from_db(using, field_names, values)`` makes, as a function of ``values``.

    ``Model.__init__`` sends two signals and sets every field by ``setattr``, deferred ones
    skipped: ≈ 6 µs an instance, where a page of 50 requests holds 150 (the requests, their
    requesters and institutions), a tenth of its CPU. Where nothing can see the difference,
    the instance is made as ``__init__`` leaves it: its state, then its values in its
    ``__dict__``, in the order ``from_db`` assigns them (the model's concrete fields), and by
    ``setattr`` in that order for a field whose attribute has a setter of its own (a country's
    cleans its value). That needs Django's own ``from_db`` and ``__init__`` and no receiver of
    ``pre_init`` or ``post_init`` for the model (checked for each query: a test may connect
    one). A foreign key's id has a setter too, which only drops a cached related object: a new
    instance has none, so it is stored as a plain value."""
    setters = _setters(model)
    if setters is None or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return partial(model.from_db, using, field_names)
    concrete = model._meta.concrete_fields
    if len(field_names) == len(concrete):
        names = [field.attname for field in concrete]
    else:
        chosen = set(field_names)
        names = [field.attname for field in concrete if field.attname in chosen]
    setters = setters.intersection(names)
    new = object.__new__

    def build(values: Sequence[Any]) -> Model:
        obj = new(model)
        state = obj._state = ModelState()
        state.adding, state.db = False, using
        if not setters:
            obj.__dict__.update(zip(names, values, strict=True))
            return obj
        stored = obj.__dict__
        for name, value in zip(names, values, strict=True):
            if name in setters:
                setattr(obj, name, value)
            else:
                stored[name] = value
        return obj

    return build


#: What ``_builder`` stands in for: Django's own, not a model's.
_OWN = ("__init__", "from_db")


@cache
def _setters(model: type[Model]) -> frozenset[str] | None:
    """The fields of ``model`` that ``__init__`` must set by ``setattr`` (see ``_builder``);
    None if the model makes its instances its own way."""
    if any(inspect.getattr_static(model, name) is not vars(Model)[name] for name in _OWN):
        return None
    if model.__new__ is not object.__new__ or model.__setattr__ is not object.__setattr__:
        return None  # instances made, or their attributes set, the model's own way
    found = []
    for field in model._meta.concrete_fields:
        attribute = inspect.getattr_static(model, field.attname, None)
        setter = getattr(type(attribute), "__set__", None)
        if setter is not None and type(attribute) is not ForeignKeyDeferredAttribute:
            found.append(field.attname)
    return frozenset(found)
