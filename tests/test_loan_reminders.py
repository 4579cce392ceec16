"""Due-soon and overdue reminders: on the right days, to the right people, once per due date."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from elvis.workflow.tasks import send_reminders
from notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = datetime.date.today()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def test_a_loan_due_within_14_days_reminds_requester_and_curators_once(
    make_loan, researcher, curator_a
):
    loan = make_loan(status="on_loan", due_date=days(14))
    make_loan(status="on_loan", due_date=days(15), title="not yet")
    make_loan(status="returned", due_date=days(3), title="already back")
    first, second = send_reminders(), send_reminders()
    assert (first["loan.due_soon"], first["loan.overdue"]) == (1, 0)
    assert (second["loan.due_soon"], second["loan.overdue"]) == (0, 0)
    notes = Notification.objects.filter(event="loan.due_soon")
    assert {n.recipient for n in notes} == {researcher, curator_a}
    assert {n.reference for n in notes} == {loan.reference}
    assert len(mail.outbox) == 2
    assert "is due back on" in mail.outbox[0].subject


def test_an_extension_brings_a_new_due_soon_reminder(make_loan):
    loan = make_loan(status="on_loan", due_date=days(10))
    send_reminders()
    loan.due_date = days(12)
    loan.save(update_fields=["due_date"])  # test set-up: as if extended
    assert send_reminders()["loan.due_soon"] == 1


@pytest.mark.parametrize(
    ("days_over", "expected"),
    [(0, 0), (1, 1), (2, 1), (8, 1), (15, 1)],
)
def test_overdue_reminders_start_the_day_after_and_repeat_weekly(make_loan, days_over, expected):
    make_loan(status="on_loan", due_date=days(-days_over))
    assert send_reminders()["loan.overdue"] == expected
    assert send_reminders()["loan.overdue"] == 0


def test_a_week_later_the_overdue_reminder_comes_again(make_loan, monkeypatch):
    make_loan(status="partially_returned", due_date=days(-1))
    assert send_reminders()["loan.overdue"] == 1
    later = TODAY + datetime.timedelta(days=7)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: later)
    assert send_reminders()["loan.overdue"] == 1
    assert send_reminders()["loan.overdue"] == 0
