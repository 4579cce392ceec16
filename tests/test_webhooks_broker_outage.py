"""A transition succeeds while the broker is down; its webhook waits and the sweeper sends it."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from elvis.workflow.service import perform
from webhooks.models import Delivery
from webhooks.tasks import sweep_deliveries

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


def broker_down():
    """Publishing fails as it does when Redis is unreachable (kombu's OperationalError)."""
    from kombu.exceptions import OperationalError

    return mock.patch(
        "webhooks.tasks.deliver_webhook.apply_async",
        side_effect=OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    )


@pytest.fixture
def subscription(receiver, institution_a):
    return support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)


def test_the_delivery_stays_pending_while_the_broker_is_down(
    subscription, receiver, make_loan, curator_a
):
    with broker_down():
        loan = perform(make_loan(status="submitted"), "approve", actor=curator_a)
        assert sweep_deliveries() == 1  # still down: offered again, still waiting

    assert loan.status == "approved"
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.enqueued_at is None
    assert delivery.attempts == 0 and receiver.received == []


def test_once_the_broker_is_back_the_sweeper_sends_it_exactly_once(
    subscription, receiver, make_loan, curator_a
):
    with broker_down():
        perform(make_loan(status="submitted"), "approve", actor=curator_a)

    assert sweep_deliveries() == 1
    assert sweep_deliveries() == 0

    assert len(receiver.received) == 1
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1


def test_a_retry_lost_with_the_broker_is_picked_up_once_it_is_overdue(
    subscription, receiver, make_loan, curator_a
):
    receiver.answer(500)
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    delivery = Delivery.objects.get()
    assert sweep_deliveries() == 0  # enqueued with its countdown, not due yet

    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=3)
    )
    assert sweep_deliveries() == 1

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2


def test_a_claim_left_by_a_dead_worker_is_released_and_sent(
    subscription, receiver, make_loan, curator_a
):
    with broker_down():
        perform(make_loan(status="submitted"), "approve", actor=curator_a)
    long_ago = timezone.now() - timedelta(minutes=10)
    Delivery.objects.update(status="sending", claimed_at=long_ago, next_attempt_at=long_ago)

    assert sweep_deliveries() == 1

    assert Delivery.objects.get().status == "delivered"
    assert len(receiver.received) == 1
