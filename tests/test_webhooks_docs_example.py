"""The Python examples in docs/webhooks.md run as printed and verify real deliveries: the
Standard Webhooks receiver, the conversion of a secret from before the standard, and the
deprecated ELViS-Signature check."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from standardwebhooks import WebhookVerificationError

from elvis.workflow.service import perform
from webhooks.models import Subscription

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver

DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"


def docs_example(defining: str) -> dict:
    """Run the guide's Python block that defines ``defining`` (its own assertions included)
    and return what it defines."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    [code] = [block for block in blocks if f"def {defining}(" in block]
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    return namespace


def test_the_standard_webhooks_receiver_takes_a_real_delivery_once_and_refuses_a_forgery(
    receiver, institution_a, api_as, make_loan, curator_a
):
    receive = docs_example("receive")["receive"]
    created = api_as(support.partner_of(institution_a)).post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["loan.approved"]}, format="json"
    )
    secret = created.json()["secret"]

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [request] = receiver.received
    with pytest.raises(WebhookVerificationError):
        receive(secret, request.headers, request.body.replace(b"approved", b"rejected"))
    envelope = receive(secret, request.headers, request.body)
    assert envelope["event"] == "loan.approved"
    assert envelope["id"] == request.headers["webhook-id"]
    assert receive(secret, request.headers, request.body) is None  # the same event again


def test_a_secret_from_before_the_standard_verifies_in_its_converted_spelling(
    receiver, institution_a, api_as, make_loan, curator_a
):
    standard_secret = docs_example("standard_secret")["standard_secret"]
    receive = docs_example("receive")["receive"]
    partner = support.partner_of(institution_a)
    subscription = support.subscription_for(partner, institution_a, receiver.url)
    old = "whsec_" + secrets.token_urlsafe(32)  # as secrets were issued before
    Subscription.objects.filter(pk=subscription.pk).update(secret=old)

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [request] = receiver.received
    assert receive(standard_secret(old), request.headers, request.body)["event"] == "loan.approved"


def test_the_deprecated_verifier_accepts_a_real_delivery_and_rejects_a_forged_one(
    receiver, institution_a, api_as, make_loan, curator_a
):
    verify_signature = docs_example("verify_signature")["verify_signature"]
    created = api_as(support.partner_of(institution_a)).post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["loan.approved"]}, format="json"
    )
    secret = created.json()["secret"]

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [request] = receiver.received
    timestamp, header = request.headers["ELViS-Timestamp"], request.headers["ELViS-Signature"]
    assert verify_signature(secret, timestamp, header, request.body)
    assert not verify_signature(secret, timestamp, header, request.body.replace(b"1", b"2"))
    assert not verify_signature(secret, str(int(timestamp) - 1), header, request.body)


def test_the_event_table_names_every_event_and_only_events_that_exist():
    from elvis.workflow.kinds import all_kinds

    shipped = [kind for kind in all_kinds() if kind.model._meta.app_label != "testkind"]
    table = DOCS.read_text().split("## What is delivered")[0]
    documented = set(re.findall(r"`([a-z]+\.[a-z_]+)`", table)) - {"webhook.ping"}

    assert documented == {name for kind in shipped for name in kind.event_names()}
