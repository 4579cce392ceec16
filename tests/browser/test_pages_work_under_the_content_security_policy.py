"""The Content-Security-Policy blocks nothing the site needs, in a real browser: Swagger UI at
/api/v1/docs/ draws the operations, the admin's scripts (autocomplete, filters, sidebar) run,
and the researcher's loan form loads its specimen picker — with no CSP violation reported."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def watch(page) -> list[str]:
    """Every CSP violation, script error and failed load (but the favicon) of the page."""
    problems: list[str] = []

    def console(message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            problems.append(message.text)

    def response(answer) -> None:
        if answer.status >= 400 and not answer.url.endswith("/favicon.ico"):
            problems.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", response)
    return problems


def test_swagger_ui_draws_the_api_operations_and_calls_one(open_page, institution_a):
    page = open_page()
    problems = watch(page)

    page.goto(reverse("api-docs"))

    expect(page.get_by_role("heading", name="ELViS API")).to_be_visible()
    operation = page.locator(".opblock-get", has_text="/api/v1/institutions/").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text("200")
    assert problems == []


def test_the_admin_works_for_a_coordinator(open_page, coordinator_a, collection_a, make_loan):
    make_loan(status="submitted")
    page = open_page()
    problems = watch(page)

    page.goto(reverse("admin:login"))
    page.get_by_label("E-mail").fill(coordinator_a.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Registry and accounts")).to_be_visible()

    # An autocomplete widget (select2, jQuery) and its search results.
    page.goto(reverse("admin:collections_app_collection_change", args=[collection_a.pk]))
    page.locator(".select2-selection").first.click()
    page.locator(".select2-search__field").fill("cora")
    expect(page.locator(".select2-results__option").first).to_contain_text("Cora")
    page.keyboard.press("Escape")

    # The loan queue: filters, date hierarchy and the navigation sidebar toggle.
    page.goto(reverse("admin:loans_loanrequest_changelist"))
    expect(page.locator("#result_list")).to_be_visible()
    page.locator("#toggle-nav-sidebar").click()
    assert problems == []


def test_the_loan_form_loads_its_script(open_page, researcher, collection_a, specimen_a):
    page = open_page()
    problems = watch(page)
    page.goto(reverse("login"))
    page.get_by_label("E-mail").fill(researcher.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(reverse("loans:list"))
    page.get_by_role("link", name="New loan request").click()
    page.get_by_label("Institution").select_option(label="Institution A (INSTA)")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Title")).to_be_visible()
    assert problems == []
