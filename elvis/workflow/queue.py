"""The institution side's work queue: what waits on a curator, every kind, in one place.

For each registered kind: how many requests in the user's queue (``in_queue_of``, the scope of
the request admin and the API) wait on the institution, per status (the statuses are read from
the kind's table, ``Workflow.waits_on_institution``); and for a kind with a ``Deadline`` (loans)
the requests overdue and those due back within ``DUE_SOON_DAYS``. The admin's home page and the
API's ``queue`` endpoint both show it. A fixed number of queries per kind, whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils import timezone

from .kinds import all_kinds

if TYPE_CHECKING:
    from .kinds import Deadline, RequestKind
    from .models import AccessRequest

#: "Due soon" means within this many days from today (a week: the curator's planning horizon).
DUE_SOON_DAYS = 7
#: Requests listed per deadline list; the count says how many there are in all.
LISTED = 20


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class Due:
    request: AccessRequest
    due: date


@dataclass(frozen=True)
class DueList:
    """Requests past (or near) their deadline, soonest first, and how many there are in all."""

    count: int
    requests: list[Due]

    @property
    def more(self) -> int:
        return self.count - len(self.requests)


@dataclass(frozen=True)
class KindQueue:
    kind: RequestKind
    waiting: list[StatusCount]
    overdue: DueList | None = None
    due_soon: DueList | None = None

    @property
    def waiting_total(self) -> int:
        return sum(row.count for row in self.waiting)


def _waiting(kind: RequestKind, requests: Any) -> list[StatusCount]:
    statuses = [(value, label) for value, label in kind.statuses]
    waiting = [value for value, _label in statuses if kind.workflow.waits_on_institution(value)]
    counts = dict(
        requests.filter(status__in=waiting)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        StatusCount(status=value, label=str(label), count=counts.get(value, 0))
        for value, label in statuses
        if value in waiting
    ]


def _due_lists(deadline: Deadline, requests: Any, today: date) -> tuple[DueList, DueList]:
    overdue = deadline.overdue(today)
    due_soon = deadline.due_within(today, DUE_SOON_DAYS)
    counts = requests.aggregate(
        overdue=Count("pk", filter=overdue), due_soon=Count("pk", filter=due_soon)
    )
    listed = requests.select_related("requester").order_by(deadline.field, "pk")

    def due_list(count: int, condition: Any) -> DueList:
        rows = listed.filter(condition)[:LISTED]
        return DueList(count, [Due(row, getattr(row, deadline.field)) for row in rows])

    return due_list(counts["overdue"], overdue), due_list(counts["due_soon"], due_soon)


def work_queue(user) -> list[KindQueue]:
    """The work waiting on ``user``'s institutions (site staff: on every institution), per kind."""
    today = timezone.localdate()
    queue = []
    for kind in all_kinds():
        requests = kind.model.objects.in_queue_of(user)
        overdue = due_soon = None
        if kind.deadline is not None:
            overdue, due_soon = _due_lists(kind.deadline, requests, today)
        queue.append(KindQueue(kind, _waiting(kind, requests), overdue, due_soon))
    return queue
