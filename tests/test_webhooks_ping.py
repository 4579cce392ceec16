"""``POST /api/v1/webhooks/<id>/ping/`` sends a signed ``webhook.ping`` whose data is the
subscription itself, so a partner can test the receiver before any loan moves."""

from __future__ import annotations

import json

import pytest

from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


@pytest.fixture
def partner(institution_a):
    return support.partner_of(institution_a)


def test_a_ping_is_delivered_whatever_events_the_subscription_chose(
    receiver, partner, institution_a, api_as
):
    subscription = support.subscription_for(partner, institution_a, receiver.url, ["loan.closed"])

    response = api_as(partner).post(f"/api/v1/webhooks/{subscription.pk}/ping/")

    assert response.status_code == 202
    assert response.json()["event"] == "webhook.ping"
    [request] = receiver.received
    assert request.headers["ELViS-Event"] == "webhook.ping"
    envelope = json.loads(request.body)
    assert envelope["data"] == api_as(partner).get(f"/api/v1/webhooks/{subscription.pk}/").json()
    assert "secret" not in envelope["data"]
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered"
    log = api_as(partner).get(f"/api/v1/webhooks/{subscription.pk}/deliveries/").json()
    assert [row["status"] for row in log["results"]] == ["delivered"]
    assert log["results"][0]["attempt_log"][0]["status_code"] == 200
    assert log["results"][0]["payload"] == envelope


def test_pings_number_their_own_sequence(receiver, partner, institution_a, api_as):
    subscription = support.subscription_for(partner, institution_a, receiver.url)

    for _ in range(2):
        api_as(partner).post(f"/api/v1/webhooks/{subscription.pk}/ping/")

    assert [json.loads(r.body)["sequence"] for r in receiver.received] == [1, 2]


def test_a_paused_subscription_is_not_pinged(receiver, partner, institution_a, api_as):
    subscription = support.subscription_for(partner, institution_a, receiver.url)
    subscription.is_active = False
    subscription.save()

    response = api_as(partner).post(f"/api/v1/webhooks/{subscription.pk}/ping/")

    assert response.status_code == 409
    assert receiver.received == []
