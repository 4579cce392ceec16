"""A subscription has at most ``WEBHOOK_MAX_IN_FLIGHT`` attempts in flight: a hanging receiver
holds that many webhook worker slots and no more. Its next delivery waits its turn (no attempt
counted, nothing sent), while other subscriptions' deliveries go out as usual."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from elvis.claims import stale_claim_age
from webhooks.models import Delivery
from webhooks.services import record
from webhooks.tasks import IN_FLIGHT_WAIT, deliver_webhook

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


@pytest.fixture
def subscriptions(receiver, institution_a):
    partner = support.partner_of(institution_a)
    return [support.subscription_for(partner, institution_a, receiver.url) for _ in range(2)]


def _pending(subscription, n: int = 1) -> list[Delivery]:
    deliveries = [
        record(subscription, "loan.approved", resource_type="loan", resource_id=i, data={})
        for i in range(n)
    ]
    return [d for d in deliveries if d is not None]


def _in_flight(deliveries: list[Delivery], claimed_at=None) -> None:
    """As if workers were sending these right now (a hanging receiver)."""
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        status="sending", claimed_at=claimed_at or timezone.now(), attempts=1
    )


def test_a_delivery_waits_while_its_subscription_has_its_attempts_in_flight(
    subscriptions, receiver, settings
):
    settings.WEBHOOK_MAX_IN_FLIGHT = 2
    hanging, other = subscriptions
    _in_flight(_pending(hanging, 2))
    waiting = _pending(hanging)[0]
    flowing = _pending(other)[0]

    before = timezone.now()
    assert deliver_webhook(waiting.pk) == "waiting: the subscription has its attempts in flight"
    assert deliver_webhook(flowing.pk) == "delivered"

    waiting.refresh_from_db()
    assert waiting.status == "pending" and waiting.attempts == 0
    assert (
        before + IN_FLIGHT_WAIT <= waiting.next_attempt_at <= timezone.now() + IN_FLIGHT_WAIT * 1.5
    )
    assert [r.headers["webhook-id"] for r in receiver.received] == [str(flowing.event_id)]


def test_a_delivery_goes_out_once_a_place_is_free(subscriptions, receiver, settings):
    settings.WEBHOOK_MAX_IN_FLIGHT = 2
    hanging = subscriptions[0]
    sending = _pending(hanging, 2)
    _in_flight(sending)
    waiting = _pending(hanging)[0]
    assert deliver_webhook(waiting.pk).startswith("waiting")

    Delivery.objects.filter(pk=sending[0].pk).update(status="pending", claimed_at=None)
    assert support.retry_now(waiting) == "delivered"


def test_a_stale_claim_of_a_dead_worker_does_not_hold_a_place(subscriptions, settings):
    settings.WEBHOOK_MAX_IN_FLIGHT = 1
    hanging = subscriptions[0]
    _in_flight(
        _pending(hanging),
        claimed_at=timezone.now() - stale_claim_age(deliver_webhook) - timedelta(seconds=1),
    )

    assert deliver_webhook(_pending(hanging)[0].pk) == "delivered"
