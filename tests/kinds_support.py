"""What the contract suite needs to know of each registered kind to drive it: how to make a
complete request of the kind, and valid input for each of its actions that takes some.

A new kind registers itself and adds its ``KindSupport`` here; the contract tests
(``tests/test_contract_*.py``) then run for it, and fail loudly for a kind that has none.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from collections_app.models import Collection, Institution
from elvis.workflow.kinds import RequestKind, all_kinds


def _today() -> datetime.date:
    return timezone.localdate()


def _days(n: int) -> datetime.date:
    return _today() + datetime.timedelta(days=n)


def _next_monday(after_days: int) -> datetime.date:
    day = _days(after_days)
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def _add_workspace(visit) -> None:
    """A visit asks for a facility: the institution's workspace (made on first use)."""
    from collections_app.models import Facility
    from visits.models import VisitFacility

    workspace, _ = Facility.objects.get_or_create(
        institution=visit.institution,
        name="Visitor workspace",
        defaults={"type": Facility.Type.WORKSPACE, "daily_capacity": 4},
    )
    VisitFacility.objects.create(visit=visit, facility=workspace)


def _ask(loan) -> dict[str, Any]:
    """A loan's requester has asked for an extension (so that one can be declined)."""
    type(loan).objects.filter(pk=loan.pk).update(
        extension_wanted_until=_days(300), extension_reason="The thesis takes longer."
    )
    return {}


def _imaging_done(request) -> None:
    """Past approval, a digitisation request's items are imaged and processed."""
    if request.status in ("in_progress", "delivered", "closed"):
        request.items.update(status="processed")
        type(request).objects.filter(pk=request.pk).update(package_status="built")
        request.refresh_from_db()


def _fail_one_item(request) -> int:
    item = request.items.first()
    item.status, item.failure_reason = "failed", "Truncated file."
    item.save(update_fields=["status", "failure_reason"])
    return item.pk


@dataclass(frozen=True)
class KindSupport:
    #: The kind's own required fields of a new request.
    fields: Callable[[], dict[str, Any]]
    #: Valid input for the actions that take some, given the request; a value may be a
    #: callable, called only for its own action (e.g. to make a failed item to retry).
    action_data: Callable[[Any], dict[str, Any]] = lambda request: {}
    #: Extra status set-up so that an action can succeed from there (e.g. a due date).
    state: dict[str, Callable[[], dict[str, Any]]] = field(default_factory=dict)
    #: Rows of the kind's own a complete request has (e.g. a visit's facility), given it
    #: with its status set.
    complete: Callable[[Any], None] = lambda request: None

    def data_for(self, request: Any, action: str) -> dict[str, Any]:
        data = self.action_data(request).get(action, {})
        return data() if callable(data) else data


SUPPORT: dict[str, KindSupport] = {
    "loan": KindSupport(
        fields=lambda: {
            "requested_start": _days(10),
            "requested_end": _days(100),
            "borrower_institution": "University of Oslo, Natural History Museum",
            "shipping_address": "Sars gate 1, 0562 Oslo, Norway",
        },
        action_data=lambda loan: {
            "dispatch": {"carrier": "DHL", "tracking_number": "JD01460", "due_date": _days(180)},
            "extend": {"due_date": _days(400)},
            "request_extension": {"due_date": _days(300), "reason": "The thesis takes longer."},
            "decline_extension": lambda: {"reason": "Needed for an exhibition.", **_ask(loan)},
            "record_return": {"carrier": "DHL", "tracking_number": "JD0146000099"},
            "return_items": {"items": [item.pk for item in loan.items.all()]},
        },
        state={
            "on_loan": lambda: {"due_date": _days(30)},
            "partially_returned": lambda: {"due_date": _days(30)},
        },
    ),
    "visit": KindSupport(
        fields=lambda: {
            "proposed_start": _next_monday(14),
            "proposed_end": _next_monday(14) + datetime.timedelta(days=4),
        },
        action_data=lambda visit: {
            "complete": {"actual_days": 3, "actual_visitors": 1},
            "reschedule": {
                "confirmed_start": _next_monday(28),
                "confirmed_end": _next_monday(28) + datetime.timedelta(days=2),
            },
            "submit_report": {
                "specimens_examined": 120,
                "publications": "Smith 2027, Zootaxa. doi:10.11646/zootaxa.5000.1.1",
            },
        },
        state={
            "approved": lambda: {"confirmed_start": _days(-2), "confirmed_end": _days(2)},
            "completed": lambda: {"completed_on": _days(-1)},
        },
        complete=lambda visit: _add_workspace(visit),
    ),
    "digitisation": KindSupport(
        fields=lambda: {"licence": "CC0-1.0", "publish_to": "GBIF"},
        action_data=lambda request: {
            "approve": {
                "cost_currency": "EUR",
                "cost_amount": "120.00",
                "staff_hours": "6.5",
                "planned_delivery": _days(30),
            },
            "retry_items": lambda: {"items": [_fail_one_item(request)]},
        },
        complete=lambda request: _imaging_done(request),
    ),
    "sample": KindSupport(
        fields=lambda: {"wanted_on": _days(20)},
        action_data=lambda sample: {"archive": {"note": "Done with it."}},
    ),
}


def support_for(kind: RequestKind) -> KindSupport:
    if kind.name not in SUPPORT:
        raise AssertionError(
            f"The kind {kind.name!r} has no KindSupport in tests/kinds_support.py: add one so "
            "that the contract suite runs for it."
        )
    return SUPPORT[kind.name]


def kind_names() -> list[str]:
    return [kind.name for kind in all_kinds()]


def make_request(
    kind: RequestKind,
    *,
    requester,
    institution: Institution,
    collection: Collection,
    specimens=(),
    status: str = "draft",
    **fields: Any,
):
    """A complete request of ``kind`` (collections, and items when the kind has them), its
    status set directly — test set-up only. Past the draft stage it counts as submitted."""
    support = support_for(kind)
    values = {**support.fields(), **fields}
    if status in support.state:
        values.update(support.state[status]())
    request = kind.model.objects.create(
        requester=requester,
        institution=institution,
        title=values.pop("title", f"A {kind.label}"),
        purpose="Morphological revision of the genus.",
        **values,
    )
    request.collections.add(collection)
    if kind.items is not None:
        fk = kind.model._meta.get_field("items").field.name
        for specimen in specimens:
            kind.items.objects.create(**{fk: request}, specimen=specimen)
        kind.items.objects.create(**{fk: request}, description="20 unsorted Carabidae, drawer 14")
    if status != "draft":
        kind.model.objects.filter(pk=request.pk).update(status=status, submitted_at=timezone.now())
        request.refresh_from_db()
    support.complete(request)
    return request
