"""A loan's events reach the partners of the institution it was made to, and no one else."""

from __future__ import annotations

import json
import uuid

import pytest

from elvis.workflow.service import perform
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


def test_an_approval_is_delivered_once_to_the_partner_of_that_institution_only(
    receiver, make_loan, curator_a, institution_a, institution_b
):
    partner_a, partner_b = support.partner_of(institution_a), support.partner_of(institution_b)
    mine = support.subscription_for(partner_a, institution_a, receiver.url)
    support.subscription_for(partner_b, institution_b, receiver.url)

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    assert len(receiver.received) == 1
    delivery = Delivery.objects.get()
    assert delivery.subscription == mine
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert receiver.received[0].headers["ELViS-Event"] == "loan.approved"


def test_the_envelope_carries_the_loan_exactly_as_the_api_shows_it_to_that_partner(
    receiver, make_loan, curator_a, institution_a, api_as
):
    partner = support.partner_of(institution_a)
    support.subscription_for(partner, institution_a, receiver.url)

    loan = perform(make_loan(status="submitted"), "approve", actor=curator_a)

    envelope = json.loads(receiver.received[0].body)
    assert set(envelope) == {"id", "event", "created_at", "sequence", "data"}
    assert uuid.UUID(envelope["id"])
    assert envelope["event"] == "loan.approved"
    assert envelope["sequence"] == 1
    shown = api_as(partner).get(f"/api/v1/loan-requests/{loan.pk}/")
    assert envelope["data"] == shown.json()
    assert envelope["data"]["status"] == "approved"
    assert envelope["data"]["allowed_actions"] == ["cancel", "dispatch"]


def test_a_subscription_hears_only_the_events_it_chose(
    receiver, make_loan, researcher, curator_a, institution_a
):
    partner = support.partner_of(institution_a)
    support.subscription_for(partner, institution_a, receiver.url, events=["loan.submitted"])

    loan = perform(make_loan(), "submit", actor=researcher)
    perform(loan, "approve", actor=curator_a)

    assert [r.headers["ELViS-Event"] for r in receiver.received] == ["loan.submitted"]


def test_paused_subscriptions_and_other_institutions_requests_produce_no_delivery(
    receiver, make_loan, curator_a, institution_a, institution_b
):
    paused = support.subscription_for(
        support.partner_of(institution_a), institution_a, receiver.url
    )
    paused.is_active = False
    paused.save()
    support.subscription_for(support.partner_of(institution_b), institution_b, receiver.url)

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    assert receiver.received == []
    assert not Delivery.objects.exists()
