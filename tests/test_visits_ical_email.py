"""The researcher's approval e-mail carries the visit as a calendar entry: a ``text/calendar``
attachment named after the reference, with the same UID and SEQUENCE the feeds show."""

from __future__ import annotations

import pytest
from django.core import mail
from icalendar import Calendar

from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from visits import ical

from .kinds_support import make_request

pytestmark = pytest.mark.django_db


def test_the_approval_e_mail_to_the_researcher_has_the_visits_ics(
    researcher, curator_a, institution_a, collection_a, django_capture_on_commit_callbacks
):
    visit = make_request(
        get_kind("visit"),
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        status="submitted",
    )

    with django_capture_on_commit_callbacks(execute=True):
        visit = perform(visit, "approve", actor=curator_a)

    [message] = [m for m in mail.outbox if m.to == [researcher.email]]
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{visit.reference}.ics", "text/calendar")
    calendar = Calendar.from_ical(content)
    assert calendar["PRODID"] and str(calendar["VERSION"]) == "2.0"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == ical.uid(visit)
    assert int(event["SEQUENCE"]) == visit.sequence
    assert event.decoded("DTSTART") == visit.confirmed_start
    assert str(event["STATUS"]) == "CONFIRMED"
