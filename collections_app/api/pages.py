"""Specimen list pages compiled once per shape of search, and run with each request's values.

A specimen page is one query, yet Django building and compiling it cost more CPU than the
database spent answering it (a third of a request; bench/README.md). Its SQL depends only on
the request's *shape* — which filters and search terms it gives, the ordering, the direction
and the page size — so ``SpecimenSearch.read`` builds the page's queryset from a shape and
values (``_page``: the filter set's own filters, ``elvis.api.plans``, then the very steps the
search and the paginator take), and ``CompiledQuery`` compiles it once per shape and runs its
SQL with each request's values: the filters' values, the search's parameters
(``Condition.params``) and the cursor's position. The probes of ``q`` (which of its meanings
match) are compiled the same way, and asked together in one statement.

A request no shape describes (a filter calling a method of its filter set) is not planned
(``search_of`` answers None) and is built as every list is; so is a value that cannot be
placed in the compiled SQL (``CompiledQuery`` answers it through the ORM). Either way the SQL,
and so the answer, is the filter set's and the paginator's own: ``tests/
test_api_specimen_pages_compiled.py`` holds the two equal, statement for statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

from django.db.models import QuerySet
from django_filters.filterset import BaseFilterSet

from collections_app.models import Specimen
from collections_app.search import (
    DEFAULT_ORDERING,
    Condition,
    order_specimens,
    q_candidates,
    q_condition,
    search_conditions,
)
from elvis.api.pagination import page_query
from elvis.api.plans import FilterPlan, apply_filters, plan_filters
from elvis.statements import CompiledQuery, exist_each

from .filtersets import SearchTermFilter, SpecimenFilterSet
from .rows import specimen_rows

#: Every specimen list starts here: the collection and institution joined, the default order.
SPECIMENS = order_specimens(Specimen.objects.select_related("collection__institution"))


@dataclass(frozen=True)
class SpecimenSearch:
    """A validated specimen list request as the shape of its SQL and the values it binds."""

    #: The filters other than the search's terms (``elvis.api.plans``).
    filters: FilterPlan
    conditions: tuple[Condition, ...]
    ordering: str

    def with_condition(self, condition: Condition) -> SpecimenSearch:
        return SpecimenSearch(self.filters, (*self.conditions, condition), self.ordering)

    def shape(self) -> dict[str, Any]:
        kinds = tuple(condition.kinds for condition in self.conditions)
        return {"filters": self.filters.filters, "kinds": kinds}

    def parameters(self) -> tuple[Any, ...]:
        params = chain.from_iterable(c.params for c in self.conditions)
        return (*self.filters.values, *params)

    def read(self, order: list[str], position: list[Any] | None, limit: int) -> list:
        """The page after ``position`` in ``order``: ``limit`` rows at most (``PlannedPage``)."""
        values = (*self.parameters(), *(position or ()))
        shape = {**self.shape(), "ordering": self.ordering, "order": tuple(order)}
        return _PAGE.rows(*values, **shape, after=position is not None, limit=limit)


def search_of(filterset: BaseFilterSet) -> SpecimenSearch | None:
    """``filterset``'s (validated) request as a search of fixed shape, its ``q`` probed; None
    when one of its filters is not a plain comparison (it is then built as usual)."""
    terms = {
        name
        for name, filter_ in filterset.filters.items()
        if name == "ordering" or isinstance(filter_, SearchTermFilter)
    }
    planned = plan_filters(filterset, apart=terms)
    if planned is None:
        return None
    filters, given = planned
    q = given.pop("q", "")
    ordering = given.pop("ordering", "") or DEFAULT_ORDERING
    conditions = tuple(search_conditions(**{name: v for name, v in given.items() if v}))
    search = SpecimenSearch(filters, conditions, ordering)
    if q:
        candidates = q_candidates(q)
        probes = [search.with_condition(part) for part in candidates]
        found = exist_each(
            [_PROBE.statement(*probe.parameters(), **probe.shape()) for probe in probes],
            using="default",
        )
        matching = [part for part, hit in zip(candidates, found, strict=True) if hit]
        search = search.with_condition(q_condition(matching))
    return search


def _searched(values: tuple[Any, ...], filters: tuple, kinds: tuple) -> tuple[QuerySet, Any]:
    """``SPECIMENS`` with the filters and conditions of a shape and their values, in the
    order the filter set applies them; and what is left of ``values`` (the cursor's)."""
    given = iter(values)
    queryset = apply_filters(SPECIMENS, SpecimenFilterSet, filters, given)
    conditions = [Condition.taking(k, given).q() for k in kinds]
    return queryset.filter(*conditions), given


def _probe(*values: Any, filters: tuple, kinds: tuple) -> QuerySet:
    """Whether a search finds any row: the ``exists()`` query that ``search_specimens`` asks
    of each meaning of ``q``, all in one statement (``exist_each``)."""
    queryset, _ = _searched(values, filters, kinds)
    probe = queryset.values_list()
    probe.query = queryset.query.exists()
    return probe


def _page(
    *values: Any,
    filters: tuple,
    kinds: tuple,
    ordering: str,
    order: tuple[str, ...],
    after: bool,
    limit: int,
) -> QuerySet:
    """A page's rows, as the filter set (``SpecimenFilterSet``) and the paginator
    (``CataloguePagination``) build them."""
    queryset, position = _searched(values, filters, kinds)
    searched = order_specimens(queryset, ordering)
    after_row = list(position) if after else None
    return specimen_rows(page_query(searched, list(order), after_row, limit, ordered(ordering)))


_PROBE = CompiledQuery(_probe)
_PAGE = CompiledQuery(_page)


@lru_cache(maxsize=16)
def ordered(ordering: str) -> QuerySet:
    """The unfiltered list in ``ordering``: what the paginator reads the ordering and the
    cursor's fields from."""
    return order_specimens(SPECIMENS, ordering)
