"""What the calendar-feed tests share: approved visits made through the real workflow, and a
feed fetched and parsed back with ``icalendar``."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from collections_app.models import Facility, Institution
from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from visits import feeds
from visits.models import VisitFacility

from .kinds_support import make_request


def next_monday(after_days: int) -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=after_days)
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def roomy_workspace(institution: Institution) -> Facility:
    """The workspace ``make_request`` asks for, made first with room for many visits a day."""
    workspace, _ = Facility.objects.get_or_create(
        institution=institution,
        name="Visitor workspace",
        defaults={"type": Facility.Type.WORKSPACE, "daily_capacity": 100},
    )
    return workspace


def approved_visit(
    *,
    requester,
    curator,
    institution: Institution,
    collection,
    facilities: tuple[Facility, ...] = (),
    title: str = "A visit",
    weeks_ahead: int = 2,
):
    """A visit submitted, then approved by ``curator`` through ``perform`` (places booked)."""
    roomy_workspace(institution)
    start = next_monday(7 * weeks_ahead)
    visit = make_request(
        get_kind("visit"),
        requester=requester,
        institution=institution,
        collection=collection,
        status="submitted",
        title=title,
        proposed_start=start,
        proposed_end=start + datetime.timedelta(days=2),
    )
    for facility in facilities:
        VisitFacility.objects.create(visit=visit, facility=facility)
    return perform(visit, "approve", actor=curator)


def feed_for(owner, scope: str, **target) -> str:
    """A new feed's token."""
    return feeds.create_feed(owner, scope, **target)[1]


def fetch(token: str, client: Client | None = None):
    """The feed's answer, as an anonymous calendar program sends it."""
    return (client or Client()).get(f"/visits/feeds/{token}.ics")


def events(token: str) -> dict[str, object]:
    """The feed's VEVENTs by summary's reference (``VISIT-…``)."""
    response = fetch(token)
    assert response.status_code == 200, response.status_code
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]).split(":", 1)[0]: event for event in calendar.walk("VEVENT")}
