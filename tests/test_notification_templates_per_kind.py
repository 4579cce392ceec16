"""Notification e-mails come from the event's own template, else the kind's default, else the
shared one: a kind overrides only what it must (the test kind overrides its subjects)."""

from __future__ import annotations

import pytest

from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from notifications.models import Notification
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db


def test_a_kind_default_template_overrides_the_shared_one_for_that_kind_only(
    researcher, curator_a, institution_a, collection_a, make_loan
):
    sample = make_request(
        get_kind("sample"), requester=researcher, institution=institution_a, collection=collection_a
    )
    loan = make_loan()

    perform(sample, "submit", actor=researcher)
    perform(loan, "submit", actor=researcher)

    [sample_note] = Notification.objects.filter(event="sample.submitted")
    [loan_note] = Notification.objects.filter(event="loan.submitted")
    assert sample_note.subject == f"[ELViS sample] {sample.reference} submitted"
    assert loan_note.subject.startswith(f"[ELViS] {loan.reference} submitted — ")


def test_an_events_own_template_wins_over_the_kinds_default(make_loan):
    from notifications.services import _render

    subject = _render("loan.overdue", "subject.txt", {"request": make_loan(due_date=None)})
    assert subject.startswith("[ELViS]") and "is overdue" in subject
