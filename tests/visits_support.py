"""Building visits for tests: open weekdays ahead, a visit with its team and facilities."""

from __future__ import annotations

import datetime

from django.utils import timezone

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
