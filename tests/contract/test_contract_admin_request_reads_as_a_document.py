"""Every kind's admin request page reads like a document: a summary (reference, kind, status,
requester, dates), what was asked, what happened (the history as sentences: who, when, what
changed, the comment — never a JSON blob), and what to do next (the allowed actions as links
to their pages); captions name things, and dates read 2027-01-15 in every language."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from elvis.workflow.service import perform
from elvis.workflow.table import SUBMITTED

pytestmark = pytest.mark.django_db

MONTH_NAMES = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}")


def change_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def section(page: str, element_id: str) -> str:
    return page.split(f'id="{element_id}"', 1)[1]


def test_the_page_has_a_summary_what_was_asked_what_happened_and_what_to_do_next(
    client, kind, make, curator_a, researcher
):
    obj = make(SUBMITTED)
    client.force_login(curator_a)
    page = client.get(change_url(obj)).content.decode()

    summary = section(page, "request-summary").split("</dl>", 1)[0]
    assert obj.reference in summary and obj.title in summary
    assert str(kind.label).capitalize() in summary and "Submitted" in summary
    assert researcher.email in summary
    assert obj.created_at.strftime("%Y-%m-%d") in summary
    assert page.index('id="request-summary"') < page.index("What was asked")
    assert page.index("What was asked") < page.index('id="what-happened"')
    assert page.index('id="what-happened"') < page.index('id="next-steps"')
    next_steps = section(page, "next-steps")
    for action in obj.allowed_actions(curator_a):
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_action", args=[obj.pk, action])
        assert f'href="{url}"' in next_steps


def test_the_history_reads_as_sentences(client, kind, make, curator_a):
    obj = make(SUBMITTED)
    perform(obj, "request_changes", actor=curator_a, comment="Please name the drawers.")
    client.force_login(curator_a)
    page = client.get(change_url(obj)).content.decode()

    happened = section(page, "what-happened")
    entry = obj.history.get()
    assert entry.created_at.strftime("%Y-%m-%d %H:%M") in happened
    assert "Carl Curator: Request changes (Submitted → Changes requested)" in happened
    assert "“Please name the drawers.”" in happened
    assert "{" not in happened.split("</ol>", 1)[0]  # no JSON


def test_captions_name_things_and_dates_are_iso_8601(client, kind, make, curator_a, researcher):
    obj = make(SUBMITTED)
    obj.comments.create(author=researcher, body="Is drawer 14 available too?")
    client.force_login(curator_a)
    for language in ("en", "fr", "de"):
        page = client.get(change_url(obj), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert " object (" not in page
        assert not MONTH_NAMES.search(page), language
        assert obj.created_at.strftime("%Y-%m-%d") in page
