"""Deliveries follow Standard Webhooks: what the delivery code really POSTs — captured by a local
HTTP receiver — verifies with the ``standardwebhooks`` reference library and the secret the API
showed, as a partner's receiver does; ``webhook-id`` is the event id on every attempt; a secret
rotation signs with both secrets for a while; secrets issued before the standard move over
through that rotation. ELViS's own headers are still sent, for their deprecation window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from elvis.workflow.service import perform
from webhooks.models import Delivery, Subscription

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


@pytest.fixture
def partner(institution_a):
    return support.partner_of(institution_a)


@pytest.fixture
def subscribed(receiver, partner, api_as) -> tuple[int, str]:
    """Subscribed through the API, as a partner does: (webhook id, secret shown once)."""
    response = api_as(partner).post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["*"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"], response.json()["secret"]


def verify(secret: str, received: support.Received) -> dict:
    """The partner's check: the library, the raw body, the headers as they came."""
    return Webhook(secret).verify(received.body, received.headers)


def test_a_new_secret_is_whsec_and_the_base64_of_32_random_bytes(subscribed):
    _id, secret = subscribed

    prefix, encoded = secret[:6], secret[6:]
    assert prefix == "whsec_"
    assert len(base64.b64decode(encoded, validate=True)) == 32


def test_a_real_delivery_verifies_with_the_standardwebhooks_library(
    subscribed, receiver, make_loan, curator_a
):
    _id, secret = subscribed

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [received] = receiver.received
    envelope = verify(secret, received)
    assert envelope == json.loads(received.body)
    assert envelope["event"] == "loan.approved"
    assert received.headers["webhook-id"] == envelope["id"] == str(Delivery.objects.get().event_id)
    assert received.headers["webhook-timestamp"] == received.headers["ELViS-Timestamp"]
    assert received.headers["webhook-signature"].startswith("v1,")


@pytest.mark.parametrize(
    "forge",
    [
        lambda r: (r.body.replace(b"approved", b"rejected"), r.headers),
        lambda r: (r.body, {**r.headers, "webhook-id": "another-id"}),
        lambda r: (
            r.body,
            {**r.headers, "webhook-timestamp": str(int(r.headers["webhook-timestamp"]) - 1)},
        ),
        lambda r: (r.body, {k: v for k, v in r.headers.items() if k != "webhook-signature"}),
    ],
    ids=["body", "id", "timestamp", "no-signature"],
)
def test_a_tampered_delivery_fails_the_library(subscribed, receiver, make_loan, curator_a, forge):
    _id, secret = subscribed
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    [received] = receiver.received

    body, headers = forge(received)

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_another_secret_fails_the_library(subscribed, receiver, make_loan, curator_a):
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    [received] = receiver.received
    someone_else = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()

    with pytest.raises(WebhookVerificationError):
        verify(someone_else, received)


def test_the_webhook_id_is_the_event_id_on_every_retry_and_redelivery(
    subscribed, receiver, partner, make_loan, curator_a, api_as
):
    webhook_id, secret = subscribed
    receiver.answer(503)
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    delivery = Delivery.objects.get()
    support.retry_now(delivery)
    redelivered = api_as(partner).post(
        f"/api/v1/webhooks/{webhook_id}/deliveries/{delivery.pk}/redeliver/"
    )
    assert redelivered.status_code == 202

    attempts = receiver.received
    assert len(attempts) == 3
    assert {a.headers["webhook-id"] for a in attempts} == {str(delivery.event_id)}
    assert all(verify(secret, attempt)["id"] == str(delivery.event_id) for attempt in attempts)


def test_during_a_rotation_both_secrets_verify_and_then_only_the_new_one(
    subscribed, receiver, partner, make_loan, curator_a, api_as
):
    webhook_id, old_secret = subscribed
    rotated = api_as(partner).post(f"/api/v1/webhooks/{webhook_id}/rotate-secret/", {})
    new_secret = rotated.json()["secret"]

    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    Subscription.objects.filter(pk=webhook_id).update(previous_secret_expires_at=None)
    perform(make_loan(status="submitted"), "reject", actor=curator_a)

    during, after = receiver.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verify(new_secret, during) and verify(old_secret, during)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert verify(new_secret, after)
    with pytest.raises(WebhookVerificationError):
        verify(old_secret, after)


def legacy_secret() -> str:
    """A secret as ELViS issued them before the standard headers: URL-safe base64, unpadded,
    with ``-`` and ``_`` in it (which a Standard Webhooks library does not read)."""
    while True:
        secret = "whsec_" + secrets.token_urlsafe(32)
        if "-" in secret[6:] and "_" in secret[6:]:
            return secret


def test_a_secret_from_before_the_standard_moves_over_through_the_rotation(
    subscribed, receiver, partner, make_loan, curator_a, api_as
):
    webhook_id, _ = subscribed
    old = legacy_secret()
    Subscription.objects.filter(pk=webhook_id).update(secret=old)

    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    rotated = api_as(partner).post(f"/api/v1/webhooks/{webhook_id}/rotate-secret/", {})
    new_secret = rotated.json()["secret"]
    perform(make_loan(status="submitted"), "reject", actor=curator_a)

    before, during = receiver.received
    # Before: the old receiver's check (the whole string keys ELViS-Signature) still passes,
    # and the library verifies with the secret's standard spelling (docs/webhooks.md).
    assert elvis_signature_verifies(old, before)
    assert verify(standard_spelling(old), before)
    # During the rotation: the new secret verifies as it is; the old one keeps working.
    assert verify(new_secret, during)
    assert verify(standard_spelling(old), during)
    assert elvis_signature_verifies(old, during) and elvis_signature_verifies(new_secret, during)


def standard_spelling(secret: str) -> str:
    """docs/webhooks.md's conversion of a secret issued before the standard."""
    encoded = secret.removeprefix("whsec_")
    raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    return "whsec_" + base64.b64encode(raw).decode()


def elvis_signature_verifies(secret: str, received: support.Received) -> bool:
    """The deprecated scheme, computed independently (hex HMAC of "ts.body", whole secret)."""
    timestamp = received.headers["ELViS-Timestamp"].encode()
    expected = hmac.new(secret.encode(), timestamp + b"." + received.body, hashlib.sha256)
    offered = [v.strip()[3:] for v in received.headers["ELViS-Signature"].split(",")]
    return any(hmac.compare_digest(expected.hexdigest(), value) for value in offered)


def test_the_deprecated_elvis_headers_are_still_sent(subscribed, receiver, make_loan, curator_a):
    _id, secret = subscribed

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [received] = receiver.received
    assert received.headers["ELViS-Event"] == "loan.approved"
    assert received.headers["ELViS-Delivery"] == received.headers["webhook-id"]
    assert elvis_signature_verifies(secret, received)


def test_the_schema_describes_the_delivery_and_its_headers(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()

    delivery = document["x-webhooks"]["delivery"]["post"]
    headers = {p["name"]: p for p in delivery["parameters"]}
    body = delivery["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert document["components"]["schemas"][body.rsplit("/", 1)[-1]]["properties"]["id"]
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert headers[name]["required"] and not headers[name].get("deprecated"), name
    for name in ("ELViS-Delivery", "ELViS-Timestamp", "ELViS-Signature"):
        assert headers[name]["deprecated"], name
        assert "2027-05-31" in headers[name]["description"], name
