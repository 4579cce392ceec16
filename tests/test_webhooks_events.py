"""The events a partner can subscribe to are derived from the workflow tables, not listed by
hand: every loan transition, comments, and the loan reminders."""

from __future__ import annotations

import pytest

from loans.workflow import LOAN_WORKFLOW
from webhooks.events import known_events

pytestmark = pytest.mark.django_db


def test_every_loan_transition_is_a_subscribable_event():
    expected = {f"loan.{row.event}" for row in LOAN_WORKFLOW.transitions.values()}

    assert expected <= set(known_events())
    assert {"loan.submitted", "loan.approved", "loan.dispatched", "loan.closed"} <= expected


def test_comments_and_reminders_are_subscribable_too():
    assert {"loan.commented", "loan.due_soon", "loan.overdue"} <= set(known_events())


def test_the_schema_lists_the_events_and_the_wildcard(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()

    events = document["components"]["schemas"]["Webhook"]["properties"]["events"]
    enum = document["components"]["schemas"][events["items"]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert set(enum) == {"*", *known_events()}
