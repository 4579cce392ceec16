"""Recording deliveries, handing them to the worker, and sending them again."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.fields import DateTimeField
from rest_framework.renderers import JSONRenderer

from .events import PING
from .models import Delivery, SequenceCounter, Subscription
from .tasks import enqueue_on_commit

logger = logging.getLogger(__name__)
Status = Delivery.Status


def envelope(
    *, event_id: uuid.UUID, event: str, created_at: datetime, sequence: int, data: Any
) -> str:
    """The JSON body, rendered once as the API renders JSON; every attempt sends these bytes."""
    document = {
        "id": str(event_id),
        "event": event,
        "created_at": DateTimeField().to_representation(created_at),
        "sequence": sequence,
        "data": data,
    }
    return JSONRenderer().render(document).decode()


def record(
    subscription: Subscription,
    event: str,
    *,
    resource_type: str,
    resource_id: int,
    data: Any,
    event_id: uuid.UUID | None = None,
    created_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> Delivery | None:
    """Write one pending delivery in the caller's transaction (enqueue it after commit).

    The sequence number is allocated under the counter row's lock in the same savepoint as the
    row, so numbers stay consecutive. With ``dedupe_key`` (reminders) a second delivery for the
    same key and subscription is not recorded: None.
    """
    event_id = event_id or uuid.uuid4()
    created_at = created_at or timezone.now()
    if dedupe_key and subscription.deliveries.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            sequence = SequenceCounter.allocate(subscription, resource_type, resource_id)
            return Delivery.objects.create(
                subscription=subscription,
                event_id=event_id,
                event=event,
                resource_type=resource_type,
                resource_id=resource_id,
                sequence=sequence,
                body=envelope(
                    event_id=event_id,
                    event=event,
                    created_at=created_at,
                    sequence=sequence,
                    data=data,
                ),
                created_at=created_at,
                next_attempt_at=created_at,
                retry_until=created_at + Delivery.RETRY_WINDOW,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key:
            return None  # a concurrent run recorded this reminder first
        raise


def ping(subscription: Subscription, data: Any) -> Delivery:
    """A ``webhook.ping`` carrying the subscription itself, whatever events it selects."""
    with transaction.atomic():
        delivery = record(
            subscription, PING, resource_type="webhook", resource_id=subscription.pk, data=data
        )
        assert delivery is not None  # only a deduplicated event may go unrecorded
        enqueue_on_commit([delivery.pk])
    return delivery


def redeliver(delivery: Delivery) -> bool:
    """Send the same envelope (same event id and sequence) again, with a fresh 24-hour retry
    window. False while an attempt is in flight: it is being sent right now."""
    now = timezone.now()
    with transaction.atomic():
        changed = (
            Delivery.objects.filter(pk=delivery.pk)
            .exclude(status=Status.SENDING)
            .change(
                status=Status.PENDING,
                next_attempt_at=now,
                retry_until=now + Delivery.RETRY_WINDOW,
                enqueued_at=None,
                claimed_at=None,
                delivered_at=None,
            )
        )
        if changed:
            enqueue_on_commit([delivery.pk])
    return bool(changed)
