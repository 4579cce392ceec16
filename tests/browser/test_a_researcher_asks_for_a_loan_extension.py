"""In a real browser: the researcher asks for more time from the loan's page, and the page then
says the ask waits on the curators and offers no second one."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from loans.kind import LOAN
from tests.conftest import PASSWORD
from tests.kinds_support import make_request

pytestmark = pytest.mark.browser


def test_a_researcher_asks_for_an_extension_of_a_loan_they_hold(
    open_page, researcher, institution_a, collection_a
):
    loan = make_request(
        LOAN,
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        status="on_loan",
    )
    wanted = (timezone.localdate() + datetime.timedelta(days=90)).isoformat()
    page = open_page()
    page.goto(reverse("login"))
    page.get_by_label("E-mail").fill(researcher.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(loan.get_absolute_url())
    page.get_by_label("Keep the specimens until").fill(wanted)
    page.get_by_label("Why you need them longer").fill("Two specimens need new photographs.")
    page.get_by_role("button", name="Ask for an extension").click()

    expect(page.locator("#extension-asked")).to_contain_text(wanted)
    expect(page.get_by_role("button", name="Ask for an extension")).to_have_count(0)
    loan.refresh_from_db()
    assert loan.extension_wanted_until.isoformat() == wanted
    assert loan.history.get().action == "request_extension"
