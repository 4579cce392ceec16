"""Each e-mail is rendered in its recipient's language: one event, one e-mail per recipient,
each in the language of their profile (English when they chose none), whatever language the
actor's own page was in. A guest co-visitor is written to in the applicant's language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from elvis.workflow.comments import post_comment
from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from tests.kinds_support import make_request
from visits.models import CoVisitor

pytestmark = pytest.mark.django_db(transaction=True)


def sent_to(user) -> mail.EmailMessage:
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    return message


def test_one_submission_reaches_a_german_curator_in_german_and_another_in_english(
    make_loan, researcher, curator_a, coordinator_a
):
    curator_a.preferred_language = "de"
    curator_a.save(update_fields=["preferred_language"])
    loan = make_loan()

    with translation.override("fr"):  # the requester's own page was in French
        perform(loan, "submit", actor=researcher)

    german, english = sent_to(curator_a), sent_to(coordinator_a)
    assert german.subject == f"[ELViS] {loan.reference} eingereicht — {loan.title}"
    assert german.body.startswith("Guten Tag Carl Curator,")
    assert f"Rita Researcher hat „Einreichen“ bei {loan.reference}" in german.body
    assert "Der Antrag ist jetzt: Eingereicht." in german.body
    assert '<html lang="de">' in german.alternatives[0][0]
    assert english.subject == f"[ELViS] {loan.reference} submitted — {loan.title}"
    assert english.body.startswith("Dear Cora Coordinator,")
    assert "The request is now: Submitted." in english.body
    assert '<html lang="en">' in english.alternatives[0][0]


def test_a_message_is_quoted_in_each_recipients_language(
    make_loan, researcher, curator_a, coordinator_a
):
    coordinator_a.preferred_language = "fr"
    coordinator_a.save(update_fields=["preferred_language"])
    loan = make_loan(status="submitted")

    with translation.override("de"):
        post_comment(loan, author=researcher, body="Could drawer 14 come too?")

    assert "Rita Researcher a écrit : Could drawer 14 come too?" in sent_to(coordinator_a).body
    assert "Rita Researcher wrote: Could drawer 14 come too?" in sent_to(curator_a).body
    assert "a un nouveau message" in sent_to(coordinator_a).subject


def test_a_guest_co_visitor_is_invited_in_the_applicants_language(
    researcher, institution_a, collection_a
):
    researcher.preferred_language = "fr"
    researcher.save(update_fields=["preferred_language"])
    visit = make_request(
        get_kind("visit"),
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        title="Carabus genitalia",
    )
    CoVisitor.objects.create(visit=visit, name="Ada Beetle", email="ada@uni.example.org")

    perform(visit, "submit", actor=researcher)

    [invitation] = [m for m in mail.outbox if m.to == ["ada@uni.example.org"]]
    assert invitation.subject.startswith("[ELViS] Rita Researcher vous a désigné(e)")
    assert invitation.body.startswith("Bonjour Ada Beetle,")
