"""Creating notifications and getting their e-mails on their way."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.template.loader import select_template
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)


def _render(event: str, part: str, context: dict[str, Any]) -> str:
    template = select_template(
        [f"notifications/email/{event}.{part}", f"notifications/email/default.{part}"]
    )
    return template.render(context).strip()


def notify(
    recipients: Iterable[Any],
    event: str,
    *,
    target: models.Model | None = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Record one notification (in-app + e-mail) per recipient; e-mails leave after commit.

    With ``dedupe_key`` (reminders) a recipient gets at most one notification per key, even when
    two beat schedulers or a restart run the same reminder twice.
    """
    created: list[Notification] = []
    seen: set[int] = set()
    for recipient in recipients:
        if recipient.pk in seen or not recipient.is_active:
            continue
        seen.add(recipient.pk)
        ctx = {"event": event, "target": target, "recipient": recipient, **(context or {})}
        ctx["url"] = ctx.get("url", "")
        ctx["absolute_url"] = settings.SITE_URL.rstrip("/") + ctx["url"] if ctx["url"] else ""
        key = f"{dedupe_key}:{recipient.pk}" if dedupe_key else None
        notification = Notification(
            recipient=recipient,
            event=event,
            subject=" ".join(_render(event, "subject.txt", ctx).split())[:255],
            body=_render(event, "body.txt", ctx),
            html_body=_render(event, "body.html", ctx),
            url=ctx["url"],
            content_type=ContentType.objects.get_for_model(target) if target else None,
            object_id=target.pk if target else None,
            reference=getattr(target, "reference", ""),
            dedupe_key=key,
        )
        if key:
            try:
                with transaction.atomic():
                    notification.save()
            except IntegrityError:
                continue  # this reminder went out already
        else:
            notification.save()
        created.append(notification)
    ids = [n.pk for n in created]
    if ids:
        transaction.on_commit(lambda: enqueue_emails(ids))
    return created


def enqueue_emails(ids: Iterable[int]) -> None:
    """Hand e-mails to the broker; if it is unreachable they stay pending for the sweeper."""
    from .tasks import deliver_email

    for pk in ids:
        try:
            deliver_email.apply_async(args=[pk], retry=False)
        except Exception as exc:  # broker down: kombu raises OperationalError and friends
            logger.warning("e-mail %s not enqueued (%s); the sweeper will retry", pk, exc)
        else:
            Notification.objects.filter(pk=pk).update(email_enqueued_at=timezone.now())
