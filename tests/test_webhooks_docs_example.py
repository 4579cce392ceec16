"""The worked example in docs/webhooks.md runs as printed and verifies real deliveries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from elvis.workflow.service import perform

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver

DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"


def docs_example() -> dict:
    """Run the guide's Python block (its own assertions included) and return what it defines."""
    [code] = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    return namespace


def test_the_guides_verifier_accepts_a_real_delivery_and_rejects_a_forged_one(
    receiver, institution_a, api_as, make_loan, curator_a
):
    verify_signature = docs_example()["verify_signature"]
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
