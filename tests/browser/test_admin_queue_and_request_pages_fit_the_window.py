"""In a real browser at 1280 px: a curator's admin home page leads with their work queue, and
every kind's request page (with a long history, messages and items) fits the window — tables
wrap or scroll within their box, the page never scrolls sideways."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from elvis.workflow.kinds import all_kinds
from elvis.workflow.service import perform
from tests.conftest import PASSWORD
from tests.kinds_support import make_request

pytestmark = pytest.mark.browser

LONG = "Morphological revision of the genus across all its described and undescribed species " * 4
WIDE = "https://example.org/" + "x" * 180


@pytest.fixture
def requests_of_every_kind(researcher, curator_a, institution_a, collection_a, specimen_a):
    made = {}
    for kind in all_kinds():
        obj = make_request(
            kind, requester=researcher, institution=institution_a, collection=collection_a,
            specimens=[specimen_a], status="submitted", title=LONG[:200],
        )  # fmt: skip
        obj.comments.create(author=researcher, body=f"{LONG} See {WIDE}")
        perform(obj, "start_review", actor=curator_a, comment=f"{LONG} {WIDE}")
        made[kind.name] = obj
    loan = made["loan"]
    type(loan).objects.filter(pk=loan.pk).update(
        status="on_loan", due_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    return made


def test_the_queue_leads_and_no_request_page_is_wider_than_the_window(
    open_page, curator_a, requests_of_every_kind
):
    page = open_page(viewport={"width": 1280, "height": 900})
    page.goto(reverse("admin:login"))
    page.get_by_label("E-mail").fill(curator_a.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    queue = page.locator("#work-queue")
    expect(queue.get_by_role("heading", name="Your work queue")).to_be_visible()
    expect(page.locator("#queue-visit").get_by_role("link", name="Under review")).to_be_visible()
    overdue = page.locator("#overdue-loan")
    expect(
        overdue.get_by_role("link", name=requests_of_every_kind["loan"].reference)
    ).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    for name, obj in requests_of_every_kind.items():
        meta = obj._meta
        page.goto(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
        expect(page.locator("#what-happened")).to_contain_text("Start review")
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{name}: the page is {widths[0]} px wide"
