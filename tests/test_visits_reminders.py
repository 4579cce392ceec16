"""``visit.upcoming`` a week ahead to the whole team (co-visitors without an account by e-mail)
and the curators, and ``visit.report_due`` two weeks after completion while no report exists:
each once per visit and date, however often beat runs."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from elvis.workflow.tasks import send_reminders
from notifications.models import Notification
from visits.models import CoVisitor, VisitReport, VisitRequest

from .visits_support import make_visit

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = datetime.date.today()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def visit(researcher, institution_a, collection_a, facility_a, outsider):
    visit = make_visit(
        requester=researcher, institution=institution_a, collection=collection_a,
        facilities=[facility_a], start=days(7), end=days(9), status="approved",
    )  # fmt: skip
    VisitRequest.objects.filter(pk=visit.pk).update(confirmed_start=days(7), confirmed_end=days(9))
    CoVisitor.objects.create(visit=visit, name="Guest", email="guest@example.org")
    CoVisitor.objects.create(visit=visit, name="Otto", email=outsider.email.upper())
    return visit


def test_upcoming_goes_once_to_the_team_and_the_curators(visit, researcher, outsider, curator_a):
    first, second = send_reminders(), send_reminders()

    assert (first["visit.upcoming"], second["visit.upcoming"]) == (1, 0)
    notes = Notification.objects.filter(event="visit.upcoming")
    assert {n.recipient for n in notes if n.recipient} == {researcher, outsider, curator_a}
    assert [n.email for n in notes if not n.recipient] == ["guest@example.org"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [researcher.email, outsider.email, curator_a.email, "guest@example.org"]
    )


def test_a_new_start_date_brings_a_new_upcoming_reminder(visit):
    send_reminders()
    VisitRequest.objects.filter(pk=visit.pk).update(confirmed_start=days(6))

    assert send_reminders()["visit.upcoming"] == 1


def test_report_due_two_weeks_after_completion_once_and_not_once_reported(
    visit, researcher, curator_a
):
    VisitRequest.objects.filter(pk=visit.pk).update(status="completed", completed_on=days(-14))
    other = make_visit(
        requester=researcher, institution=visit.institution, collection=visit.collections.get(),
        facilities=[], start=days(7), end=days(9), status="completed", title="Reported",
    )  # fmt: skip
    VisitRequest.objects.filter(pk=other.pk).update(status="closed", completed_on=days(-20))
    VisitReport.objects.create(visit=other, specimens_examined=1, submitted_by=researcher)

    first, second = send_reminders(), send_reminders()

    assert (first["visit.report_due"], second["visit.report_due"]) == (1, 0)
    notes = Notification.objects.filter(event="visit.report_due")
    assert [n.recipient for n in notes] == [researcher]
    assert notes.get().reference == visit.reference
