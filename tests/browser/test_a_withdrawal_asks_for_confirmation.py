"""In a real browser, with JavaScript off: withdrawing is a separate, destructive link, and the
request is withdrawn only from the confirmation page, whose "No" leaves it untouched."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from loans.kind import LOAN
from tests.conftest import PASSWORD
from tests.kinds_support import make_request

pytestmark = pytest.mark.browser


def test_a_researcher_withdraws_a_loan_only_after_confirming(
    open_page, researcher, institution_a, collection_a
):
    loan = make_request(
        LOAN,
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        status="submitted",
    )
    page = open_page(java_script_enabled=False)
    page.goto(reverse("login"))
    page.get_by_label("E-mail").fill(researcher.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(loan.get_absolute_url())
    expect(page.get_by_role("button", name="Withdraw")).to_have_count(0)
    withdraw = page.get_by_role("link", name="Withdraw…")
    # Outlined in the error colour, unlike the filled primary buttons.
    assert withdraw.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 255, 255)"
    withdraw.click()

    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    page.get_by_role("link", name="No, keep the request as it is").click()
    expect(page.locator("#request-status")).to_have_text("Submitted")

    page.get_by_role("link", name="Withdraw…").click()
    page.get_by_label("Comment (optional)").fill("Found them elsewhere.")
    page.get_by_role("button", name="Yes, withdraw").click()

    expect(page.locator("#request-status")).to_have_text("Withdrawn")
    loan.refresh_from_db()
    assert loan.status == "withdrawn"
    assert loan.history.get().comment == "Found them elsewhere."
