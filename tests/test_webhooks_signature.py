"""Deliveries are signed as docs/webhooks.md says, checked here by an independent verifier.

The verifier below uses only ``hmac``/``hashlib`` and the documented scheme — it does not
import ``webhooks.signing`` — so a change to the scheme that the docs do not follow fails here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from elvis.workflow.service import perform
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver

TOLERANCE = 300  # seconds, as the docs recommend


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a partner writes from the docs: HMAC-SHA256 of "<timestamp>.<body>" with the
    secret, hex, compared with each v1= value of ELViS-Signature; a stale timestamp fails."""
    timestamp = headers["ELViS-Timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE:
        return False
    expected = hmac.new(
        secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256
    ).hexdigest()
    offered = [
        value.strip()[3:]
        for value in headers["ELViS-Signature"].split(",")
        if value.strip().startswith("v1=")
    ]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


@pytest.fixture
def subscribed(receiver, institution_a, api_as):
    """A partner of institution A subscribed through the API: (partner, webhook id, secret)."""
    partner = support.partner_of(institution_a)
    response = api_as(partner).post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    return partner, response.json()["id"], response.json()["secret"]


def test_a_delivery_verifies_with_the_secret_shown_at_subscription(
    subscribed, receiver, make_loan, curator_a
):
    _partner, _id, secret = subscribed

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [request] = receiver.received
    assert verify(secret, request.headers, request.body)
    assert not verify("whsec_not-the-secret", request.headers, request.body)
    assert not verify(secret, request.headers, request.body.replace(b"approved", b"rejected"))


def test_a_delivery_carries_the_documented_headers(subscribed, receiver, make_loan, curator_a):
    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [request] = receiver.received
    delivery = Delivery.objects.get()
    assert request.path == "/hooks/elvis?source=test"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "ELViS-Webhooks/1"
    assert request.headers["ELViS-Event"] == "loan.approved"
    assert request.headers["ELViS-Delivery"] == str(delivery.event_id)
    assert request.headers["ELViS-Delivery"] == json.loads(request.body)["id"]
    assert abs(int(request.headers["ELViS-Timestamp"]) - time.time()) < 60
    assert request.headers["ELViS-Signature"].startswith("v1=")


def test_after_a_rotation_deliveries_verify_with_the_new_and_for_a_while_the_old_secret(
    subscribed, receiver, make_loan, curator_a, api_as
):
    partner, webhook_id, old_secret = subscribed
    rotated = api_as(partner).post(f"/api/v1/webhooks/{webhook_id}/rotate-secret/", {})
    new_secret = rotated.json()["secret"]
    assert rotated.status_code == 200 and new_secret != old_secret
    assert rotated.json()["previous_secret_expires_at"] is not None

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [request] = receiver.received
    assert verify(new_secret, request.headers, request.body)
    assert verify(old_secret, request.headers, request.body)


def test_a_rotation_that_keeps_nothing_revokes_the_old_secret_at_once(
    subscribed, receiver, make_loan, curator_a, api_as
):
    partner, webhook_id, old_secret = subscribed
    rotated = api_as(partner).post(
        f"/api/v1/webhooks/{webhook_id}/rotate-secret/", {"keep_previous_for": 0}, format="json"
    )

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [request] = receiver.received
    assert verify(rotated.json()["secret"], request.headers, request.body)
    assert not verify(old_secret, request.headers, request.body)
    assert request.headers["ELViS-Signature"].count("v1=") == 1
