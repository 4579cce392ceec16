"""Deliveries that cannot succeed are marked failed, with the reason, instead of retried forever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from elvis.workflow.service import perform
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


@pytest.fixture
def subscription(receiver, institution_a):
    return support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 301, 302])
def test_a_4xx_other_than_429_or_a_redirect_fails_at_once_without_retry(
    subscription, receiver, make_loan, curator_a, status
):
    receiver.answer(status)
    receiver.extra_headers["Location"] = "http://169.254.169.254/latest/meta-data/"

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.last_status_code == status
    assert f"HTTP {status} is not retried" in delivery.last_error
    assert len(receiver.received) == 1  # the redirect was not followed


def test_retries_stop_24_hours_after_the_delivery_was_created(
    subscription, receiver, make_loan, curator_a
):
    receiver.answer(500, 500)
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    delivery = Delivery.objects.get()
    assert delivery.retry_until == delivery.created_at + timedelta(hours=24)

    # A day later (moved back in time rather than waited for), the next failure is the last.
    day_ago = timezone.now() - timedelta(hours=24, seconds=1)
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=day_ago, retry_until=day_ago + Delivery.RETRY_WINDOW
    )
    assert support.retry_now(delivery) == "failed"

    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 500
    assert "24-hour retry window" in delivery.last_error
    assert len(receiver.received) == 2


def test_the_last_retry_is_scheduled_no_later_than_the_end_of_the_window(
    subscription, receiver, make_loan, curator_a
):
    receiver.answer(500, 500)
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    delivery = Delivery.objects.get()
    soon = timezone.now() + timedelta(seconds=5)
    Delivery.objects.filter(pk=delivery.pk).update(retry_until=soon)

    assert support.retry_now(delivery) == "pending"

    delivery.refresh_from_db()
    assert delivery.next_attempt_at == soon


def test_a_subscription_paused_after_the_event_fails_its_pending_delivery_unsent(
    subscription, receiver, make_loan, curator_a
):
    receiver.answer(500)
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    subscription.is_active = False
    subscription.save()

    assert support.retry_now(Delivery.objects.get()) == "failed"

    delivery = Delivery.objects.get()
    assert delivery.last_error == "Not sent: the subscription is paused."
    assert len(receiver.received) == 1
