"""Every kind's request list, its page read by SQL compiled once per shape of request.

The page query of a request list (the kind's requests the caller may see, their requester and
institution joined, three counts) cost Django more to build and compile than the database
spent answering it. Its SQL depends only on the request's shape — the kind, whether the
caller is site staff and how many institutions it handles, which filters it gives, the
ordering, the direction, the page size — so ``RequestListPlan`` reads the page through
``CompiledQuery``: ``_page`` builds the queryset from a shape and values with the same
functions the viewset uses (``listed``, ``visible_in``, the filter set's own filters), and
each later request of that shape runs its SQL with its own values (the caller's id and
institutions, the filters' values, the cursor's position).

A request of no fixed shape (``?q=``, ``?requester=me``, several statuses) is read as before.
``tests/test_api_request_pages_compiled.py`` holds the two ways equal, statement for statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django_filters.filters import Filter
from django_filters.filterset import BaseFilterSet

from collections_app.roles import handled_institution_ids, is_site_staff
from elvis.api.pagination import page_query
from elvis.api.plans import FilterPlan, apply_filters, plan_filters
from elvis.api.rows import row_writer_for
from elvis.statements import CompiledQuery
from elvis.workflow.counts import related_count
from elvis.workflow.kinds import RequestKind

from .serializers import summary_serializer_for

#: The relations every request is read with (one join each); a list reads of them only the
#: columns its row shows (``RowWriter.unread_columns``).
JOINED = ("requester", "institution")


def joined(kind: RequestKind, requests: QuerySet) -> QuerySet:
    """``requests`` with what every face of the API reads of a request: the requester and
    institution joined, the comment and attachment counts, the kind's default order."""
    model = kind.model
    return (
        requests.select_related(*JOINED)
        .annotate(
            comment_count=related_count(model, "comments"),
            attachment_count=related_count(model, "attachments"),
        )
        # Spelled out: the cursor pages by the queryset's own order_by (``-updated_at``,
        # ``-id``); ``?ordering=`` replaces it.
        .order_by(*(model._meta.ordering or ()))
    )


def listed(kind: RequestKind, requests: QuerySet) -> QuerySet:
    """``requests`` as a list reads them: only the columns its rows show, and its counts.

    The kind's own prefetches (``RequestKind.annotate``) serve the detail and are dropped, its
    annotations kept; the row writer reads the page's collections in one query of its own.
    """
    requests = joined(kind, requests)
    if kind.items is not None:
        requests = requests.annotate(item_count=related_count(kind.model, "items"))
    unread = row_writer_for(summary_serializer_for(kind)).unread_columns(JOINED)
    return requests.prefetch_related(None).defer(*unread)


@dataclass(frozen=True)
class RequestListPlan:
    """A validated list request of a kind as the shape of its SQL and the values it binds."""

    kind: RequestKind
    filterset: type[BaseFilterSet]
    user_id: int
    staff: bool
    institution_ids: tuple[int, ...]
    filters: FilterPlan

    @classmethod
    def of(cls, kind: RequestKind, user: Any, filterset: BaseFilterSet) -> RequestListPlan | None:
        """The plan of ``user``'s list request, ``filterset`` validated; None when no fixed
        shape describes it."""
        planned = plan_filters(filterset)
        if planned is None or not (user.is_authenticated and user.is_active):
            return None
        staff = is_site_staff(user)
        handled = () if staff else tuple(sorted(handled_institution_ids(user)))
        return cls(kind, type(filterset), user.pk, staff, handled, planned[0])

    def read(self, order: list[str], position: list[Any] | None, limit: int) -> list:
        """The page after ``position`` in ``order``: ``limit`` requests at most."""
        values = (self.user_id, *self.institution_ids, *self.filters.values, *(position or ()))
        return _PAGE.rows(
            *values,
            kind=self.kind,
            filterset=self.filterset,
            staff=self.staff,
            handled=len(self.institution_ids),
            filters=self.filters.filters,
            order=tuple(order),
            after=position is not None,
            limit=limit,
        )


def _page(
    *values: Any,
    kind: RequestKind,
    filterset: type[BaseFilterSet],
    staff: bool,
    handled: int,
    filters: tuple,
    order: tuple[str, ...],
    after: bool,
    limit: int,
) -> QuerySet:
    """A page's requests, as the viewset (``get_queryset``, its filter set) and the paginator
    build them."""
    given = iter(values)
    user_id, institution_ids = next(given), list(islice(given, handled))
    visible = kind.queryset().visible_in(user_id, staff=staff, institution_ids=institution_ids)
    requests = apply_filters(listed(kind, visible), filterset, filters, given)
    position = list(given) if after else None
    return page_query(requests, list(order), position, limit, keys_first=None)


_PAGE = CompiledQuery(_page)


@lru_cache(maxsize=256)
def ordered(kind: RequestKind, ordering_filter: Filter, ordering: tuple[str, ...]) -> QuerySet:
    """The kind's requests in ``ordering`` (``?ordering=`` by ``ordering_filter``, or the
    default): what the paginator reads the ordering and the cursor's fields from."""
    requests: QuerySet = kind.model.objects.order_by(*(kind.model._meta.ordering or ()))
    return ordering_filter.filter(requests, list(ordering)) if ordering else requests
