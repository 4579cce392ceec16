"""``POST /api/v1/webhooks/<id>/deliveries/<id>/redeliver/`` sends the same envelope again."""

from __future__ import annotations

import json

import pytest

from elvis.workflow.service import perform
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


@pytest.fixture
def partner(institution_a):
    return support.partner_of(institution_a)


@pytest.fixture
def delivery(receiver, partner, institution_a, make_loan, curator_a) -> Delivery:
    """A loan.approved delivery that failed for good (the receiver answered 410)."""
    support.subscription_for(partner, institution_a, receiver.url)
    receiver.answer(410)
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    failed = Delivery.objects.get()
    assert failed.status == "failed"
    return failed


def url(delivery: Delivery) -> str:
    return f"/api/v1/webhooks/{delivery.subscription_id}/deliveries/{delivery.pk}/redeliver/"


def test_a_failed_delivery_is_sent_again_with_the_same_event_id_sequence_and_body(
    delivery, receiver, partner, api_as
):
    response = api_as(partner).post(url(delivery))

    assert response.status_code == 202
    assert response.json()["id"] == delivery.pk
    first, second = receiver.received
    assert second.body == first.body
    assert second.headers["ELViS-Delivery"] == first.headers["ELViS-Delivery"]
    assert json.loads(second.body)["sequence"] == json.loads(first.body)["sequence"] == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log.all()] == [410, 200]
    assert Delivery.objects.count() == 1


def test_a_redelivered_delivery_gets_a_fresh_24_hour_retry_window(
    delivery, receiver, partner, api_as
):
    receiver.answer(500)
    before = delivery.retry_until

    api_as(partner).post(url(delivery))

    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.retry_until > before


def test_a_delivery_being_sent_right_now_is_not_redelivered(delivery, receiver, partner, api_as):
    Delivery.objects.filter(pk=delivery.pk).update(status="sending")

    response = api_as(partner).post(url(delivery))

    assert response.status_code == 409
    assert len(receiver.received) == 1


def test_a_paused_subscription_does_not_redeliver(delivery, partner, api_as):
    delivery.subscription.is_active = False
    delivery.subscription.save()

    assert api_as(partner).post(url(delivery)).status_code == 409


def test_another_institution_cannot_redeliver_or_even_see_the_delivery(
    delivery, institution_b, api_as, coordinator_b
):
    for user in (support.partner_of(institution_b), coordinator_b):
        assert api_as(user).post(url(delivery)).status_code == 404
    assert Delivery.objects.get().attempts == 1


def test_a_delivery_of_another_subscription_is_not_found_under_this_one(
    delivery, partner, institution_a, api_as
):
    other = support.subscription_for(partner, institution_a, "https://partner.example/")

    response = api_as(partner).post(
        f"/api/v1/webhooks/{other.pk}/deliveries/{delivery.pk}/redeliver/"
    )

    assert response.status_code == 404
