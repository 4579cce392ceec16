"""Turning workflow events into webhook deliveries (listed in ``settings.ELVIS_EVENT_SINKS``)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.utils import timezone

from elvis.workflow.events import Event

from . import services
from .models import Delivery, Subscription
from .payloads import render_request
from .tasks import enqueue_on_commit

logger = logging.getLogger(__name__)


def record_webhook_deliveries(event: Event, *, dedupe_key: str | None = None) -> list[Delivery]:
    """One pending delivery per active subscription of the request's institution that wants
    the event, written in the event's transaction and enqueued after it commits.

    Only the institution the request was made to hears of it. The payload is the request as
    the subscription's creator sees it through the API (rendered once per creator). Reminders,
    which beat may run twice, pass ``dedupe_key`` so that each goes out once per subscription.
    """
    request = event.request
    subscriptions = [
        subscription
        # In id order: concurrent events lock the sequence counters in the same order.
        for subscription in Subscription.objects.filter(
            institution_id=request.institution_id, is_active=True
        )
        .select_related("created_by")
        .order_by("pk")
        if subscription.wants(event.name)
    ]
    event_id, created_at = uuid.uuid4(), timezone.now()
    views: dict[int, dict[str, Any] | None] = {}
    deliveries: list[Delivery] = []
    for subscription in subscriptions:
        owner = subscription.created_by
        if owner.pk not in views:
            views[owner.pk] = render_request(request, owner)
        if views[owner.pk] is None:
            logger.warning(
                "webhook %s skipped %s: its creator %s can no longer see %s",
                subscription.pk, event.name, owner.pk, request.reference,
            )  # fmt: skip
            continue
        delivery = services.record(
            subscription,
            event.name,
            resource_type=event.kind,
            resource_id=request.pk,
            data=views[owner.pk],
            event_id=event_id,
            created_at=created_at,
            dedupe_key=dedupe_key,
        )
        if delivery is not None:
            deliveries.append(delivery)
    enqueue_on_commit(delivery.pk for delivery in deliveries)
    return deliveries
