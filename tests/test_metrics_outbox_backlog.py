"""The outbox backlog on ``/metrics``: e-mails and webhook deliveries still waiting to go out,
and the age of the oldest, counted from the rows when Prometheus scrapes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from webhooks.models import Delivery, Subscription
from webhooks.services import redeliver

from . import metrics_support as support
from .metrics_support import sample, scrape

pytestmark = pytest.mark.django_db
metrics_token = support.metrics_token
WAITING = "elvis_outbox_waiting"
OLDEST = "elvis_outbox_oldest_waiting_age_seconds"


def _notification(researcher, status: str, minutes_ago: int) -> Notification:
    note = Notification.objects.create(
        recipient=researcher, event="loan.approved", subject="s", body="b", email_status=status
    )
    # created_at is auto_now_add: set the past afterwards.
    Notification.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return note


@pytest.fixture
def subscription(institution_a, curator_a) -> Subscription:
    return Subscription.objects.create(
        institution=institution_a,
        url="https://partner.example.org/hook",
        events=["*"],
        created_by=curator_a,
    )


def _delivery(subscription, status: str, minutes_ago: int) -> Delivery:
    created = timezone.now() - timedelta(minutes=minutes_ago)
    return Delivery.objects.create(
        subscription=subscription,
        event_id=uuid.uuid4(),
        event="loan.approved",
        resource_type="loan",
        resource_id=1,
        sequence=Delivery.objects.count() + 1,
        body="{}",
        status=status,
        created_at=created,
        next_attempt_at=created,
        retry_until=created + Delivery.RETRY_WINDOW,
    )


def test_nothing_waiting_is_zero_for_both_outboxes(client, metrics_token):
    samples = scrape(client)
    for outbox in ("notifications", "webhooks"):
        assert sample(samples, WAITING, outbox=outbox) == 0
        assert sample(samples, OLDEST, outbox=outbox) == 0


def test_pending_and_sending_emails_wait_sent_and_failed_ones_do_not(
    client, metrics_token, researcher
):
    _notification(researcher, "pending", minutes_ago=10)
    _notification(researcher, "pending", minutes_ago=1)
    _notification(researcher, "sending", minutes_ago=30)
    _notification(researcher, "sent", minutes_ago=120)
    _notification(researcher, "failed", minutes_ago=240)

    samples = scrape(client)
    assert sample(samples, WAITING, outbox="notifications") == 3
    assert 30 * 60 <= sample(samples, OLDEST, outbox="notifications") < 31 * 60
    assert sample(samples, WAITING, outbox="webhooks") == 0


def test_pending_and_sending_deliveries_wait_delivered_and_failed_ones_do_not(
    client, metrics_token, subscription
):
    _delivery(subscription, "pending", minutes_ago=5)
    _delivery(subscription, "pending", minutes_ago=45)  # waiting for its next retry
    _delivery(subscription, "sending", minutes_ago=2)
    _delivery(subscription, "delivered", minutes_ago=300)
    _delivery(subscription, "failed", minutes_ago=600)

    samples = scrape(client)
    assert sample(samples, WAITING, outbox="webhooks") == 3
    assert 45 * 60 <= sample(samples, OLDEST, outbox="webhooks") < 46 * 60
    assert sample(samples, WAITING, outbox="notifications") == 0


def test_a_redelivered_delivery_waits_since_its_redelivery(client, metrics_token, subscription):
    delivery = _delivery(subscription, "failed", minutes_ago=3 * 24 * 60)
    assert redeliver(delivery)  # its enqueue waits for a commit that never comes here

    samples = scrape(client)
    assert sample(samples, WAITING, outbox="webhooks") == 1
    assert sample(samples, OLDEST, outbox="webhooks") < 60
