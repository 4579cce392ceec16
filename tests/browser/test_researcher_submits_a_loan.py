"""The researcher's whole flow in a real browser: log in, fill a loan request, find a specimen
in the catalogue, add a described lot, save and submit, and land on the timeline."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from loans.models import LoanRequest
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def days(n: int) -> str:
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


def test_a_researcher_logs_in_and_submits_a_loan_request(
    open_page, researcher, curator_a, collection_a, specimen_a
):
    page = open_page()
    page.goto(reverse("login"))
    page.get_by_label("E-mail").fill(researcher.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto(reverse("loans:list"))
    page.get_by_role("link", name="New loan request").click()
    page.get_by_label("Institution").select_option(label="Institution A (INSTA)")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Title").fill("Revision of Carabus")
    page.get_by_label("Entomology (ENT)").check()
    page.get_by_label("Purpose and justification").fill("Morphological revision of the genus.")
    page.get_by_label("Loan wanted from").fill(days(10))
    page.get_by_label("Loan wanted until").fill(days(100))
    page.get_by_label("Borrowing institution").fill("University of Oslo, Natural History Museum")
    page.get_by_label("Shipping address").fill("Sars gate 1, 0562 Oslo, Norway")

    # The search updates the page in place: a marker set on this page survives it.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Find specimens in the catalogue").fill("A-0001")
    page.get_by_role("button", name="Search the catalogue").click()
    page.get_by_label("Add A-0001 Carabus auratus").check()
    assert page.evaluate("window.stillTheSamePage") is True
    assert not LoanRequest.objects.exists()

    page.locator("#id_lots-0-description").fill("20 unsorted Carabidae, drawer 14")
    page.locator("#id_lots-0-quantity").fill("20")
    page.get_by_role("button", name="Save and submit").click()

    expect(page.locator("#request-status")).to_have_text("Submitted")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^LOAN-\d{4}-\d{6} — Revision of Carabus$"))
    reference = heading.inner_text().split(" — ")[0]
    expect(page.get_by_text(f"Your request {reference} is submitted.")).to_be_visible()

    loan = LoanRequest.objects.get()
    assert page.url.endswith(loan.get_absolute_url())
    assert (loan.reference, loan.status, loan.requester) == (reference, "submitted", researcher)
    assert loan.reference.startswith(f"LOAN-{datetime.date.today().year}-")
    assert list(loan.collections.all()) == [collection_a]
    assert (loan.requested_start.isoformat(), loan.requested_end.isoformat()) == (
        days(10),
        days(100),
    )
    assert sorted(
        loan.items.values_list("specimen__catalog_number", "description", "quantity"), key=str
    ) == [("A-0001", "", 1), (None, "20 unsorted Carabidae, drawer 14", 20)]
    assert list(loan.history.values_list("action", "from_status", "to_status", "actor")) == [
        ("submit", "draft", "submitted", researcher.pk)
    ]
