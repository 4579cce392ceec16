"""A validated filter set as the shape and the values of its SQL, for lists compiled once.

A list whose page is read by SQL compiled once per shape (``elvis.statements.CompiledQuery``:
the specimen catalogue, every request kind's list) needs its filters split into what changes
the SQL — which filters are given, a boolean, an ordering — and what only fills its parameters
(ids, codes, times). ``plan_filters`` makes that split for the filters whose ``filter`` is
django-filter's own comparison; ``apply_filters`` applies a plan by calling those very
filters, so the compiled SQL is the filter set's own. A filter that calls a method of its
filter set, or a value of a shape this does not know, leaves the request unplanned (None): it
is then filtered as every list is.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django_filters import OrderingFilter
from django_filters.constants import EMPTY_VALUES
from django_filters.filters import ChoiceFilter, Filter, MultipleChoiceFilter
from django_filters.filterset import BaseFilterSet

#: In a plan's shape: the filter's value is the next of the plan's values.
GIVEN = "given"
#: In a plan's shape: the filter's value is a list of the next value alone.
ONE_OF = "one of"

#: The ``filter`` methods of django-filter that compare a field with the value and nothing else.
_COMPARING = (Filter.filter, ChoiceFilter.filter, MultipleChoiceFilter.filter)


@dataclass(frozen=True)
class FilterPlan:
    """Each given filter by name with how its value is found (``GIVEN``, ``ONE_OF`` or the value
    itself, when it is part of the SQL: a boolean, an ordering), and the values in order."""

    filters: tuple[tuple[str, Hashable], ...]
    values: tuple[Any, ...]


def plan_filters(
    filterset: BaseFilterSet, apart: Collection[str] = ()
) -> tuple[FilterPlan, dict[str, Any]] | None:
    """The plan of ``filterset``'s (validated) filters, and the cleaned values of those named in
    ``apart`` (which the list applies itself); None for a request no plan describes."""
    filters: list[tuple[str, Hashable]] = []
    values: list[Any] = []
    kept: dict[str, Any] = {}
    for name, value in filterset.form.cleaned_data.items():
        if name in apart:
            kept[name] = value
            continue
        if value in EMPTY_VALUES:
            continue
        filter_ = filterset.filters[name]
        how = _how(filter_, value)
        if how is None:
            return None
        filters.append((name, how))
        if how == GIVEN:
            values.append(value.pk if isinstance(value, Model) else value)
        elif how == ONE_OF:
            values.append(value[0])
    return FilterPlan(tuple(filters), tuple(values)), kept


def _how(filter_: Filter, value: Any) -> Hashable | None:
    if isinstance(filter_, OrderingFilter):
        return tuple(value)  # the names of fields: part of the SQL
    if filter_.method is not None or type(filter_).filter not in _COMPARING:
        return None
    if isinstance(filter_, MultipleChoiceFilter):
        # One value is one comparison; several are an OR whose order django-filter takes from
        # a set (it differs between processes), and "null" asks IS NULL.
        if len(value) != 1 or value[0] == filter_.null_value:
            return None
        return ONE_OF
    if isinstance(filter_, ChoiceFilter) and value == filter_.null_value:
        return None
    if isinstance(value, bool):
        return value
    return GIVEN


def apply_filters(
    queryset: QuerySet, filterset_class: type[BaseFilterSet], plan: tuple, given: Iterator[Any]
) -> QuerySet:
    """``queryset`` filtered by the filters of ``plan`` (``FilterPlan.filters``), each taking
    its value from ``given`` as the plan says, in the filter set's order."""
    filters = filterset_class.base_filters
    for name, how in plan:
        if how == GIVEN:
            value: Any = next(given)
        elif how == ONE_OF:
            value = [next(given)]
        else:
            value = list(how) if isinstance(how, tuple) else how
        queryset = filters[name].filter(queryset, value)
    return queryset
