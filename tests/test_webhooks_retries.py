"""Network errors, 5xx and 429 are retried with growing waits until one attempt is accepted."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from elvis.workflow.service import perform
from webhooks.models import Delivery
from webhooks.tasks import backoff, deliver_webhook

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


@pytest.fixture
def subscription(receiver, institution_a):
    return support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)


def test_a_receiver_failing_twice_then_accepting_gets_one_accepted_delivery_in_three_attempts(
    subscription, receiver, make_loan, curator_a
):
    receiver.answer(500, 503)

    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    assert deliver_webhook(delivery.pk) == "not due or already handled"

    assert support.retry_now(delivery) == "pending"
    assert support.retry_now(delivery) == "delivered"

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert delivery.last_status_code == 200 and delivery.delivered_at is not None
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert delivery.attempt_log.last().response_excerpt == "answer 200"
    assert len(receiver.received) == 3
    assert len({r.body for r in receiver.received}) == 1
    assert len({r.headers["ELViS-Delivery"] for r in receiver.received}) == 1
    assert support.retry_now(delivery) == "not due or already handled"
    assert len(receiver.received) == 3


def test_an_unreachable_receiver_is_retried_with_the_error_recorded(
    institution_a, make_loan, curator_a, settings
):
    with socket.socket() as probe:  # a port with nothing listening: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    support.allow_local_receivers(settings, port)
    support.subscription_for(
        support.partner_of(institution_a), institution_a, f"http://127.0.0.1:{port}/"
    )

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "refused" in delivery.last_error.lower()
    assert delivery.attempt_log.get().error == delivery.last_error


def test_a_429_waits_at_least_as_long_as_retry_after_asks(
    subscription, receiver, make_loan, curator_a
):
    receiver.answer(429)
    receiver.extra_headers["Retry-After"] = "600"

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code == 429
    assert delivery.next_attempt_at - timezone.now() > timedelta(seconds=590)


@pytest.mark.parametrize(
    ("attempt", "low", "high"),
    [
        (1, 24, 36),
        (2, 48, 72),
        (3, 96, 144),
        (6, 768, 1152),
        (7, 1536, 2304),
        (8, 2880, 3600),
        (20, 2880, 3600),
    ],
)
def test_the_wait_doubles_from_30_seconds_with_jitter_up_to_an_hour(attempt, low, high):
    waits = {backoff(attempt).total_seconds() for _ in range(50)}

    assert all(low <= wait <= high for wait in waits)
    assert len(waits) > 1  # jittered, so retries of many deliveries spread out
