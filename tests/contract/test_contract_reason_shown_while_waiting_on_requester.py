"""While a request waits on its requester, their page puts the institution's latest word first:
the reason for sending it back is not left buried in the history. Every kind."""

from __future__ import annotations

import re

import pytest

from elvis.workflow.comments import post_comment
from elvis.workflow.service import perform
from elvis.workflow.table import APPROVED, CHANGES_REQUESTED, DRAFT, SUBMITTED, UNDER_REVIEW

pytestmark = pytest.mark.django_db

REASON = "Please narrow the dates to May: the drawers are being moved in June."


def institution_word(client, obj) -> str | None:
    """The highlighted word on the timeline, if any, and check it comes before the rest."""
    page = client.get(obj.get_absolute_url()).content.decode()
    match = re.search(r'<figure class="warning" id="institution-word">(.*?)</figure>', page, re.S)
    if match is None:
        return None
    assert match.start() < page.index('id="about-heading"'), "shown at the top of the timeline"
    return re.sub(r"\s+", " ", match.group(1))


def test_changes_requested_waits_on_the_requester_and_review_does_not(kind):
    assert kind.workflow.waits_on_requester(CHANGES_REQUESTED)
    for status in (SUBMITTED, UNDER_REVIEW, APPROVED):
        assert not kind.workflow.waits_on_requester(status)


def test_the_reason_for_changes_leads_the_requesters_page_until_resubmitted(
    make, client, researcher, curator_a
):
    obj = make(status=SUBMITTED)
    obj = perform(obj, "request_changes", actor=curator_a, comment=REASON)
    client.force_login(researcher)

    word = institution_word(client, obj)
    assert word is not None
    assert REASON in word
    assert curator_a.get_full_name() in word

    obj = perform(obj, "submit", actor=researcher)
    assert institution_word(client, obj) is None


def test_a_later_message_from_the_curators_is_the_one_shown(make, client, researcher, curator_a):
    obj = make(status=SUBMITTED)
    obj = perform(obj, "request_changes", actor=curator_a, comment=REASON)
    post_comment(obj, author=researcher, body="Which drawers?")
    post_comment(obj, author=curator_a, body="Drawers 12 to 14 stay; ask for those.")
    client.force_login(researcher)

    word = institution_word(client, obj)
    assert word is not None
    assert "Drawers 12 to 14 stay; ask for those." in word
    assert REASON not in word


def test_the_curators_view_and_a_draft_have_no_highlighted_word(
    make, client, researcher, curator_a
):
    draft = make(status=DRAFT)
    client.force_login(researcher)
    assert institution_word(client, draft) is None

    obj = perform(make(status=SUBMITTED), "request_changes", actor=curator_a, comment=REASON)
    client.force_login(curator_a)
    assert institution_word(client, obj) is None
