"""What the calendar-feed tests share: approved visits made through the real workflow, and a
feed fetched and parsed back with ``icalendar``."""

from __future__ import annotations

import datetime

from django.test import Client
from icalendar import Calendar

from collections_app.models import Facility, Institution
from elvis.workflow.service import perform
from visits import feeds

from .visits_support import make_visit, monday


def roomy_workspace(institution: Institution) -> Facility:
    """A workspace with room for every visit a test approves in one week."""
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
    """A visit (Monday to Wednesday, in the workspace unless ``facilities`` are given)
    submitted, then approved by ``curator`` through ``perform``: places booked, sequence 1."""
    start = monday(weeks_ahead)
    visit = make_visit(
        requester=requester,
        institution=institution,
        collection=collection,
        facilities=facilities or (roomy_workspace(institution),),
        start=start,
        end=start + datetime.timedelta(days=2),
        title=title,
    )
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
