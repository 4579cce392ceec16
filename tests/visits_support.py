"""Building visits for tests: open weekdays ahead; a visit with its team and facilities, made
directly or through the workflow (``perform``, which books the facility places); and reading
the cells of a rendered table."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser

from django.utils import timezone

from collections_app.models import Collection, Facility
from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from tests.kinds_support import make_request
from visits.models import CoVisitor, VisitFacility, VisitRequest


def monday(weeks_ahead: int = 2) -> datetime.date:
    """The Monday ``weeks_ahead`` weeks after this week's (always in the future)."""
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=weeks_ahead)


def make_visit(
    *,
    requester,
    institution,
    collection,
    facilities,
    start: datetime.date,
    end: datetime.date,
    status: str = "submitted",
    team: int = 0,
    title: str = "Revision of Carabus",
) -> VisitRequest:
    """A visit of ``1 + team`` visitors asking for ``facilities``; past the draft stage it is
    submitted (status set directly: test set-up only)."""
    visit = VisitRequest.objects.create(
        requester=requester,
        institution=institution,
        title=title,
        purpose="Morphological revision.",
        proposed_start=start,
        proposed_end=end,
    )
    visit.collections.add(collection)
    for facility in facilities:
        VisitFacility.objects.create(visit=visit, facility=facility)
    for n in range(team):
        CoVisitor.objects.create(visit=visit, name=f"Member {n}", email=f"member{n}@example.org")
    if status != "draft":
        VisitRequest.objects.filter(pk=visit.pk).update(status=status, submitted_at=timezone.now())
        visit.refresh_from_db()
    return visit


def monday_after(days: int) -> datetime.date:
    """The first Monday at least ``days`` days from today."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def submitted_visit(
    *,
    requester,
    collection: Collection,
    facility: Facility,
    start: datetime.date,
    end: datetime.date,
    co_visitors: int = 0,
    title: str = "Revision of Carabus",
) -> VisitRequest:
    """A submitted visit asking for ``facility`` (besides the kind's default workspace)."""
    visit = make_request(
        get_kind("visit"),
        requester=requester,
        institution=collection.institution,
        collection=collection,
        status="submitted",
        proposed_start=start,
        proposed_end=end,
        title=title,
    )
    visit.facility_requests.all().delete()  # only the facility the test names
    VisitFacility.objects.create(visit=visit, facility=facility)
    for n in range(co_visitors):
        CoVisitor.objects.create(visit=visit, name=f"Visitor {n}", email=f"v{n}@example.org")
    return visit


def approved_visit(*, curator, **fields) -> VisitRequest:
    """A visit approved by ``curator`` through the workflow: its places are booked."""
    return perform(submitted_visit(**fields), "approve", actor=curator)


class _Rows(HTMLParser):
    """Collects the cells' text of the rows (``<tr data-key=…>``) inside ``<table id=…>``."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth, self.rows = table_id, 0, {}
        self.key: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and (self.depth or attributes.get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr" and attributes.get("data-key"):
            self.key = attributes["data-key"]
            self.rows[self.key] = []
        elif self.depth and self.key and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "td" and self.cell is not None and self.key:
            self.rows[self.key].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr":
            self.key = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: bytes | str, table_id: str) -> dict[str, list[str]]:
    """``{row key: [cell text, …]}`` of the table with that id (no HTML library needed)."""
    parser = _Rows(table_id)
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.rows
