"""Reminders (``loan.due_soon``, ``loan.overdue``) reach subscribers once per reminder key, however
often the daily task runs (``loans.tasks`` hands them to ``record_webhook_deliveries``)."""

from __future__ import annotations

import datetime
import json

import pytest

from elvis.workflow.events import Event
from webhooks.models import Delivery
from webhooks.sinks import record_webhook_deliveries

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


def remind(loan, name: str, key: str) -> list[Delivery]:
    """What the reminder task does for one loan: an event without an actor, with its key."""
    return record_webhook_deliveries(Event(name=name, request=loan, actor=None), dedupe_key=key)


def test_a_due_soon_reminder_is_delivered_once_per_key(receiver, make_loan, institution_a):
    support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)
    loan = make_loan(status="on_loan", due_date=datetime.date.today() + datetime.timedelta(days=14))
    key = f"loan.due_soon:{loan.pk}:{loan.due_date.isoformat()}"

    assert len(remind(loan, "loan.due_soon", key)) == 1
    assert remind(loan, "loan.due_soon", key) == []

    [request] = receiver.received
    envelope = json.loads(request.body)
    assert envelope["event"] == "loan.due_soon" and envelope["sequence"] == 1
    assert envelope["data"]["reference"] == loan.reference


def test_a_new_reminder_key_is_a_new_delivery_with_the_next_sequence(
    receiver, make_loan, institution_a
):
    subscription = support.subscription_for(
        support.partner_of(institution_a), institution_a, receiver.url, ["loan.overdue"]
    )
    loan = make_loan(status="on_loan", due_date=datetime.date.today() - datetime.timedelta(days=1))

    remind(loan, "loan.due_soon", "due-soon-key")
    remind(loan, "loan.overdue", "overdue-week-0")
    remind(loan, "loan.overdue", "overdue-week-1")

    rows = subscription.deliveries.order_by("sequence").values_list("event", "sequence")
    assert list(rows) == [("loan.overdue", 1), ("loan.overdue", 2)]
    assert len(receiver.received) == 2
