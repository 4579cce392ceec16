"""E-mail delivery of notifications: claimed by compare-and-set, retried, swept after outages."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from elvis import outbox
from elvis.claims import stale_claim_age
from elvis.transactions import record_retrying

from .models import Notification

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)
Status = Notification.EmailStatus

MAX_ATTEMPTS = 8
# Rows enqueued longer ago than this and still pending were lost with a broker; enqueue again.
REENQUEUE_AFTER = timedelta(minutes=5)
# Every e-mail names the notification it sends, so that a message can be traced back to its row
# (support, and the fault benchmark's count of lost and duplicated e-mails: bench/faults.py).
NOTIFICATION_HEADER = "X-ELViS-Notification"


@shared_task(
    bind=True,
    name="notifications.deliver_email",
    max_retries=MAX_ATTEMPTS - 1,
    soft_time_limit=settings.OUTBOX_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.OUTBOX_TASK_TIME_LIMIT,
)
def deliver_email(self, notification_id: int) -> str:
    """Send one notification's e-mail, at most once: only the task that claims the row sends.

    The short hard time limit bounds how long a dead task's claim blocks the e-mail (see
    ``elvis.claims``); once sent, "sent" is recorded even across a broken database connection,
    so that only a crash between the send and that record can send it twice.
    """
    claimed = Notification.objects.filter(pk=notification_id, email_status=Status.PENDING).update(
        email_status=Status.SENDING,
        email_claimed_at=timezone.now(),
        email_attempts=F("email_attempts") + 1,
    )
    if not claimed:
        return "already handled"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body,
        # A notification without an address of its own has a recipient.
        to=[notification.email or cast("User", notification.recipient).email],
        headers={NOTIFICATION_HEADER: str(notification_id)},
    )
    if notification.html_body:
        message.attach_alternative(notification.html_body, "text/html")
    for attachment in notification.email_attachments:
        message.attach(attachment["name"], attachment["content"], attachment["mimetype"])
    try:
        message.send()
    except Exception as exc:  # SMTP and network errors: transient until attempts run out
        final = notification.email_attempts >= MAX_ATTEMPTS
        error = f"{type(exc).__name__}: {exc}"[:2000]
        record_retrying(
            lambda: Notification.objects.filter(pk=notification_id).update(
                email_status=Status.FAILED if final else Status.PENDING, email_error=error
            )
        )
        if final:
            logger.error("e-mail %s failed for good: %s", notification_id, exc)
            return "failed"
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc
    record_retrying(
        lambda: Notification.objects.filter(pk=notification_id).update(
            email_status=Status.SENT, email_sent_at=timezone.now(), email_error=""
        )
    )
    return "sent"


@shared_task(name="notifications.sweep_outbox")
def sweep_outbox() -> int:
    """Re-offer e-mails a broker outage or a dead worker left behind; returns how many."""
    now = timezone.now()
    reclaimed = Notification.objects.filter(
        email_status=Status.SENDING, email_claimed_at__lt=now - stale_claim_age(deliver_email)
    ).update(
        email_status=Status.PENDING,
        email_enqueued_at=None,  # offered again by this sweep, not after REENQUEUE_AFTER
        email_error=gettext("The worker sending this e-mail was lost; it is sent again."),
    )
    if reclaimed:
        logger.warning("%s e-mail(s) left by a lost worker are offered again", reclaimed)
    ids = list(
        Notification.objects.filter(email_status=Status.PENDING)
        .filter(Q(email_enqueued_at__isnull=True) | Q(email_enqueued_at__lt=now - REENQUEUE_AFTER))
        .values_list("pk", flat=True)[:1000]
    )
    enqueue_emails(ids)
    return len(ids)


def _mark_enqueued(pk: int) -> None:
    Notification.objects.filter(pk=pk).update(email_enqueued_at=timezone.now())


def enqueue_emails(ids: Iterable[int]) -> None:
    """Hand e-mails to the broker; if it is unreachable they stay pending for the sweeper."""
    outbox.enqueue(deliver_email, ids, mark_enqueued=_mark_enqueued)


def enqueue_emails_on_commit(ids: Iterable[int]) -> None:
    outbox.enqueue_on_commit(deliver_email, ids, mark_enqueued=_mark_enqueued)
