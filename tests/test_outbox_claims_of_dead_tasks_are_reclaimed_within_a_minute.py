"""Nothing stuck, sent once: a claim left by a task that died is taken back about a minute
later (derived from the task's hard time limit), its webhook attempt stays in the log as lost;
and once an e-mail or a webhook has gone out, its record survives a broken database connection.

Killing a real worker at the worst moment: ``tests/integration/test_outbox_killed_worker.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from elvis.claims import stale_claim_age
from elvis.workflow.service import perform
from notifications.models import Notification
from notifications.tasks import deliver_email, sweep_outbox
from webhooks.delivery import post
from webhooks.models import Delivery, DeliveryAttempt
from webhooks.tasks import deliver_webhook, sweep_deliveries

from . import database_faults
from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver
database_link = database_faults.database_link
LOST = DeliveryAttempt.State.LOST
FINISHED = DeliveryAttempt.State.FINISHED


@pytest.fixture
def subscription(receiver, institution_a):
    return support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)


def test_the_stale_claim_age_is_the_hard_time_limit_and_a_third():
    assert deliver_webhook.time_limit == deliver_email.time_limit == 45
    assert deliver_webhook.soft_time_limit == deliver_email.soft_time_limit == 30
    assert stale_claim_age(deliver_webhook) == stale_claim_age(deliver_email)
    assert stale_claim_age(deliver_email) == timedelta(minutes=1)


def claimed_by_a_dead_task(delivery: Delivery, seconds_ago: float) -> None:
    """What a worker killed during the POST leaves: the claim and its started attempt."""
    claimed_at = timezone.now() - timedelta(seconds=seconds_ago)
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", claimed_at=claimed_at, attempts=1
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, started_at=claimed_at, state=DeliveryAttempt.State.SENDING
    )


@contextmanager
def outbox_held() -> Iterator[None]:
    """Rows are written but not handed to a worker: the test plays the lost worker's part."""
    with (
        mock.patch("webhooks.sinks.enqueue_on_commit"),
        mock.patch("notifications.services.enqueue_emails_on_commit"),
    ):
        yield


def pending_delivery(make_loan, curator_a) -> Delivery:
    with outbox_held():
        perform(make_loan(status="submitted"), "approve", actor=curator_a)
    return Delivery.objects.get()


def test_a_webhook_claim_older_than_a_minute_is_reclaimed_and_its_attempt_logged_as_lost(
    subscription, receiver, make_loan, curator_a
):
    delivery = pending_delivery(make_loan, curator_a)
    claimed_by_a_dead_task(delivery, seconds_ago=61)

    assert sweep_deliveries() == 1  # reclaimed, due at once, and sent by this sweep

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    log = [(a.number, a.state, a.status_code) for a in delivery.attempt_log.all()]
    assert log == [(1, LOST, None), (2, FINISHED, 200)]
    assert "worker was lost" in delivery.attempt_log.first().error
    assert [r.headers["webhook-id"] for r in receiver.received] == [str(delivery.event_id)]


def test_a_webhook_claim_younger_than_its_bound_is_left_to_its_task(
    subscription, receiver, make_loan, curator_a
):
    delivery = pending_delivery(make_loan, curator_a)
    claimed_by_a_dead_task(delivery, seconds_ago=50)

    assert sweep_deliveries() == 0

    delivery.refresh_from_db()
    assert delivery.status == "sending"
    assert delivery.attempt_log.get().state == DeliveryAttempt.State.SENDING
    assert receiver.received == []


def test_an_attempt_is_in_the_log_while_it_runs(
    subscription, receiver, make_loan, curator_a, monkeypatch
):
    delivery = pending_delivery(make_loan, curator_a)
    seen = []

    def watching_post(d: Delivery):
        seen.extend(DeliveryAttempt.objects.filter(delivery=d).values_list("number", "state"))
        return post(d)

    monkeypatch.setattr("webhooks.tasks.post", watching_post)

    assert deliver_webhook(delivery.pk) == "delivered"

    assert seen == [(1, DeliveryAttempt.State.SENDING)]
    assert list(delivery.attempt_log.values_list("state", "status_code")) == [(FINISHED, 200)]


def test_an_e_mail_claim_older_than_a_minute_is_sent_again_by_the_next_sweep(make_loan, curator_a):
    with outbox_held():
        perform(make_loan(status="submitted"), "approve", actor=curator_a)
    note = Notification.objects.get()
    claimed_at = timezone.now() - timedelta(seconds=61)
    Notification.objects.filter(pk=note.pk).update(
        email_status="sending", email_claimed_at=claimed_at, email_attempts=1,
        email_enqueued_at=timezone.now() - timedelta(seconds=62),
    )  # fmt: skip

    assert sweep_outbox() == 1  # offered again at once, not after REENQUEUE_AFTER

    note.refresh_from_db()
    assert note.email_status == "sent" and note.email_attempts == 2
    assert len(mail.outbox) == 1


def test_sent_is_recorded_across_a_broken_database_connection(database_link, make_loan, curator_a):
    with outbox_held():
        perform(make_loan(status="submitted"), "approve", actor=curator_a)
    note = Notification.objects.get()
    database_link.arm("before_commit")  # the first commit after the send: its record

    assert deliver_email(note.pk) == "sent"

    assert database_link.faults_done == 1
    note.refresh_from_db()
    assert note.email_status == "sent" and note.email_attempts == 1
    assert len(mail.outbox) == 1


def test_delivered_is_recorded_across_a_broken_database_connection(
    database_link, subscription, receiver, make_loan, curator_a
):
    delivery = pending_delivery(make_loan, curator_a)
    database_link.arm("before_commit", at_commit=2)  # the claim's commit, then the record's

    assert deliver_webhook(delivery.pk) == "delivered"

    assert database_link.faults_done == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert list(delivery.attempt_log.values_list("state", "status_code")) == [(FINISHED, 200)]
    assert len(receiver.received) == 1
