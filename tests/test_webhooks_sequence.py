"""Envelopes carry ``sequence``: 1, 2, 3 … per subscription and request, in event order, with no
gaps and no repeats, even when events on one request race."""

from __future__ import annotations

import json

import pytest

from elvis.workflow.comments import post_comment
from elvis.workflow.service import perform
from loans.models import LoanRequest
from webhooks.models import Delivery

from . import webhooks_support as support
from .test_workflow_races import run_together

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


def sequences(subscription, loan) -> list[tuple[str, int]]:
    rows = Delivery.objects.filter(subscription=subscription, resource_id=loan.pk)
    return list(rows.order_by("sequence").values_list("event", "sequence"))


def test_each_event_on_a_loan_takes_the_next_number_of_that_subscription(
    receiver, make_loan, researcher, curator_a, institution_a
):
    partner = support.partner_of(institution_a)
    everything = support.subscription_for(partner, institution_a, receiver.url)
    approvals = support.subscription_for(partner, institution_a, receiver.url, ["loan.approved"])
    loan, other = make_loan(), make_loan(title="Second loan")

    perform(loan, "submit", actor=researcher)
    post_comment(loan, author=researcher, body="Is the drawer complete?")
    perform(loan, "approve", actor=curator_a)
    perform(other, "submit", actor=researcher)

    assert sequences(everything, loan) == [
        ("loan.submitted", 1),
        ("loan.commented", 2),
        ("loan.approved", 3),
    ]
    assert sequences(approvals, loan) == [("loan.approved", 1)]
    assert sequences(everything, other) == [("loan.submitted", 1)]
    assert [json.loads(r.body)["sequence"] for r in receiver.received] == [1, 2, 3, 1, 1]


def test_events_racing_on_one_loan_get_distinct_consecutive_numbers(
    receiver, make_loan, researcher, curator_a, institution_a
):
    subscription = support.subscription_for(
        support.partner_of(institution_a), institution_a, receiver.url
    )
    loan = make_loan(status="submitted")

    def comment(author, text):
        return lambda: post_comment(LoanRequest.objects.get(pk=loan.pk), author=author, body=text)

    results = run_together(
        *(comment(author, f"message {i}") for i in range(3) for author in (researcher, curator_a))
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert [n for _event, n in sequences(subscription, loan)] == [1, 2, 3, 4, 5, 6]
