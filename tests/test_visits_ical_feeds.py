"""A calendar feed is valid RFC 5545 that calendar programs can keep in step: every event has a
stable UID, its SEQUENCE rises when the booking changes, and a visit called off stays in the
feed as STATUS:CANCELLED so subscribed calendars remove it."""

from __future__ import annotations

import datetime

import pytest
from icalendar import Calendar

from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from visits.models import CalendarFeed

from .kinds_support import make_request
from .visits_ical_support import approved_visit, events, feed_for, fetch
from .visits_support import monday

pytestmark = pytest.mark.django_db

Scope = CalendarFeed.Scope


@pytest.fixture
def visit(researcher, curator_a, institution_a, collection_a):
    return approved_visit(
        requester=researcher, curator=curator_a, institution=institution_a, collection=collection_a
    )


@pytest.fixture
def token(curator_a, institution_a, visit) -> str:
    return feed_for(curator_a, Scope.INSTITUTION, institution=institution_a)


def test_the_feed_is_private_uncached_utf8_icalendar(token):
    response = fetch(token)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"


def test_the_feed_carries_the_properties_rfc_5545_requires(token, visit):
    calendar = Calendar.from_ical(fetch(token).content)

    assert calendar["PRODID"] and str(calendar["VERSION"]) == "2.0"
    [event] = calendar.walk("VEVENT")
    for required in ("UID", "DTSTAMP", "DTSTART"):
        assert required in event, required
    assert event.decoded("DTSTART") == visit.confirmed_start
    assert event.decoded("DTEND") == visit.confirmed_end + datetime.timedelta(days=1)
    assert str(event["STATUS"]) == "CONFIRMED"


def test_the_uid_is_the_same_at_every_fetch_and_after_a_change(token, visit, curator_a):
    first = events(token)[visit.reference]["UID"]
    assert events(token)[visit.reference]["UID"] == first

    start = monday(4)
    perform(
        visit,
        "reschedule",
        actor=curator_a,
        confirmed_start=start,
        confirmed_end=start + datetime.timedelta(days=1),
    )

    assert events(token)[visit.reference]["UID"] == first


def test_rescheduling_raises_the_sequence_and_moves_the_event(token, visit, curator_a):
    before = int(events(token)[visit.reference]["SEQUENCE"])
    start = monday(4)

    perform(
        visit,
        "reschedule",
        actor=curator_a,
        confirmed_start=start,
        confirmed_end=start + datetime.timedelta(days=1),
    )

    event = events(token)[visit.reference]
    assert int(event["SEQUENCE"]) > before
    assert event.decoded("DTSTART") == start


@pytest.mark.parametrize(("action", "who"), [("cancel", "curator_a"), ("withdraw", "researcher")])
def test_a_visit_called_off_after_approval_stays_with_status_cancelled(
    request, token, visit, action, who
):
    before = int(events(token)[visit.reference]["SEQUENCE"])

    perform(visit, action, actor=request.getfixturevalue(who))

    event = events(token)[visit.reference]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > before


def test_a_visit_never_confirmed_is_not_in_the_feed(
    token, visit, researcher, institution_a, collection_a
):
    pending = make_request(
        get_kind("visit"),
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        status="submitted",
    )

    assert set(events(token)) == {visit.reference}
    assert pending.reference not in events(token)
