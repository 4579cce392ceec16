"""Webhook delivery: claimed by compare-and-set, retried with backoff for 24 hours, swept.

The delivery row is the truth: ``next_attempt_at`` says when it is due, whatever the broker
holds. A task that finds the row not due, or claimed by another worker, does nothing; the
sweeper re-enqueues what a broker outage or a dead worker left behind.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from elvis import outbox
from elvis.claims import stale_claim_age
from elvis.transactions import record_retrying

from .delivery import Outcome, post
from .models import Delivery, DeliveryAttempt, Subscription

logger = logging.getLogger(__name__)
Status = Delivery.Status

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
# A due delivery still pending this long after its time was lost with a broker: enqueue again.
REENQUEUE_AFTER = timedelta(minutes=2)
# A delivery whose subscription already has WEBHOOK_MAX_IN_FLIGHT attempts in flight waits this
# long (up to half as much again, so that waiting ones do not all come back at once).
IN_FLIGHT_WAIT = timedelta(seconds=5)


def backoff(attempt: int, retry_after: int | None = None) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 1 hour, each ±20 % so that a receiver coming back
    after an outage is not hit by every retry at once; at least what ``Retry-After`` asks."""
    delay = min(MAX_RETRY, FIRST_RETRY * 2 ** max(attempt - 1, 0)) * random.uniform(0.8, 1.2)
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return min(delay, MAX_RETRY)


@shared_task(
    name="webhooks.deliver",
    soft_time_limit=settings.OUTBOX_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.OUTBOX_TASK_TIME_LIMIT,
)
def deliver_webhook(delivery_id: int) -> str:
    """Make one attempt at a due delivery, if this task wins the claim.

    The attempt is in the log from its start (written with the claim), so a worker that dies
    during the POST leaves it there, to be closed as lost when the claim is reclaimed.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = claim(delivery_id, now)
        if claimed is None:
            return "waiting: the subscription has its attempts in flight"
        if not claimed:
            return "not due or already handled"
        delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
        attempt = DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=now,
            state=DeliveryAttempt.State.SENDING,
        )
    if not delivery.subscription.is_active:
        outcome = Outcome(error=_("Not sent: the subscription is paused."), refused=True)
    else:
        try:
            outcome = post(delivery)
        except SoftTimeLimitExceeded:
            outcome = Outcome(error=_("Stopped: the attempt ran out of time."))
    return settle(delivery, outcome, attempt=attempt)


def claim(delivery_id: int, now: datetime) -> bool | None:
    """Claim a due delivery by compare-and-set: True if this task won it, False if it is not
    due or another worker has it.

    None if its subscription already has ``WEBHOOK_MAX_IN_FLIGHT`` attempts in flight: a
    hanging receiver then holds that many webhook worker slots, not all of them. The delivery
    is put back for ``IN_FLIGHT_WAIT`` (no attempt counted). Counting and claiming happen under
    the subscription row's lock, so concurrent workers cannot both take the last place; a
    claim gone stale (its worker died) does not count.
    """
    with transaction.atomic():
        due = Delivery.objects.filter(
            pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now
        )
        subscription_id = due.values_list("subscription_id", flat=True).first()
        if subscription_id is None:
            return False
        list(Subscription.objects.select_for_update().filter(pk=subscription_id).values("pk"))
        in_flight = Delivery.objects.filter(
            subscription_id=subscription_id,
            status=Status.SENDING,
            claimed_at__gte=now - stale_claim_age(deliver_webhook),
        ).count()
        if in_flight >= settings.WEBHOOK_MAX_IN_FLIGHT:
            wait = IN_FLIGHT_WAIT * random.uniform(1, 1.5)
            due.change(next_attempt_at=now + wait)
            transaction.on_commit(lambda: enqueue([delivery_id], countdown=wait.total_seconds()))
            return None
        return bool(due.change(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1))


def settle(delivery: Delivery, outcome: Outcome, *, attempt: DeliveryAttempt) -> str:
    """Complete the attempt's log entry and move the delivery on: delivered, due again later,
    or failed. Recorded across a broken database connection: a POST the receiver accepted
    must not be sent again for want of its record."""
    now = timezone.now()
    result: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "claimed_at": None,
    }
    if outcome.delivered:
        result.update(status=Status.DELIVERED, delivered_at=now)
    elif outcome.retryable and now < delivery.retry_until:
        delay = backoff(delivery.attempts, outcome.retry_after)
        result.update(
            status=Status.PENDING,
            next_attempt_at=min(now + delay, delivery.retry_until),
            enqueued_at=None,
        )
    else:
        result.update(status=Status.FAILED, last_error=_why_failed(outcome))

    def record() -> None:
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            state=DeliveryAttempt.State.FINISHED,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.response_excerpt,
        )
        Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING).change(**result)

    record_retrying(record)
    if result["status"] == Status.PENDING:
        wait = (result["next_attempt_at"] - now).total_seconds()
        transaction.on_commit(lambda: enqueue([delivery.pk], countdown=wait))
    elif result["status"] == Status.FAILED:
        logger.warning("webhook delivery %s failed: %s", delivery.pk, result["last_error"])
    return str(result["status"])


def _why_failed(outcome: Outcome) -> str:
    last = outcome.error or f"HTTP {outcome.status_code}"
    if outcome.retryable:
        return _("Gave up: still failing at the end of the 24-hour retry window (%(last)s).") % {
            "last": last
        }
    if outcome.status_code is not None:
        return _("%(last)s is not retried: only network errors, 5xx and 429 are.") % {"last": last}
    return outcome.error


@shared_task(name="webhooks.sweep")
def sweep_deliveries() -> int:
    """Re-offer deliveries a broker outage or a dead worker left behind; returns how many."""
    now = timezone.now()
    reclaim_lost_attempts(now)
    ids = list(
        Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(next_attempt_at__lt=now - REENQUEUE_AFTER))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:1000]
    )
    enqueue(ids)
    return len(ids)


def reclaim_lost_attempts(now: datetime) -> int:
    """Take back the claims of attempts whose worker died (older than the task's hard time
    limit allows): each attempt stays in the log, closed as lost, since whether the receiver
    got it is unknown; the delivery is due again at once (same event id, for the receiver to
    deduplicate on). Returns how many."""
    with transaction.atomic():
        lost = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, claimed_at__lt=now - stale_claim_age(deliver_webhook))
            .values_list("pk", flat=True)
        )
        DeliveryAttempt.objects.filter(
            delivery_id__in=lost, state=DeliveryAttempt.State.SENDING
        ).update(
            state=DeliveryAttempt.State.LOST,
            error=_("Outcome unknown: the worker was lost during this attempt."),
        )
        Delivery.objects.filter(pk__in=lost).change(
            status=Status.PENDING, claimed_at=None, next_attempt_at=now, enqueued_at=None
        )
    if lost:
        logger.warning("webhook deliveries %s left by a lost worker are offered again", lost)
    return len(lost)


@shared_task(name="webhooks.purge")
def purge_deliveries() -> int:
    """Delete finished deliveries older than ``Delivery.RETENTION`` (their attempts go too)."""
    cutoff = timezone.now() - Delivery.RETENTION
    deleted, _counts = Delivery.objects.filter(
        status__in=(Status.DELIVERED, Status.FAILED), created_at__lt=cutoff
    ).delete()
    return deleted


def _mark_enqueued(pk: int) -> None:
    Delivery.objects.filter(pk=pk, enqueued_at__isnull=True).update(enqueued_at=timezone.now())


def enqueue(ids: Iterable[int], *, countdown: float | None = None) -> None:
    """Hand deliveries to the broker; if it is unreachable they stay pending for the sweeper."""
    outbox.enqueue(deliver_webhook, ids, mark_enqueued=_mark_enqueued, countdown=countdown)


def enqueue_on_commit(ids: Iterable[int]) -> None:
    outbox.enqueue_on_commit(deliver_webhook, ids, mark_enqueued=_mark_enqueued)
