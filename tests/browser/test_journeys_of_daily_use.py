"""Issue #10's three journeys of daily use, each driven in Debian's chromium as a person would
(links, buttons, forms), with axe-core checking every page they load.

1. A researcher (desktop and phone) asks for a loan from a collection's public page, saves an
   early draft with a title alone, completes and submits it, reads the curator's reason for
   changes at the top of the loan's page, resubmits, confirms receipt and asks for an extension.
2. A curator starts from the work queue on the admin home, opens an overdue loan, records a
   return with a note per item and 6 of a lot of 10, and the researcher's page shows each note.
3. A coordinator invites a colleague by e-mail; the mail's link, opened in a fresh browser,
   signs the colleague up and leads to the admin home with the institution's queue.

One chromium serves the module; each actor has a browser context of their own. Every page an
actor loads is checked by axe before the actor does anything on it (``Actor``); a page that
loads unchecked, or any critical or serious violation, fails the journey with the list.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from django.core import mail
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from accounts.models import Invitation
from collections_app.models import Membership, Specimen
from elvis.workflow.service import perform
from loans.kind import LOAN
from loans.models import LoanItem, LoanRequest
from tests.browser.axe import serious_violations
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.conftest import PASSWORD
from tests.kinds_support import make_request

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


class Actor:
    """One person's browser tab. Each action that may load a page (``goto``, ``press``) is
    followed by ``check``: axe runs on the page that loaded, and a second load without a check
    in between (a page nobody looked at) is itself reported. ``assert_accessible`` fails with
    every finding of the journey at once."""

    def __init__(self, page: Page, name: str, findings: list[str]) -> None:
        self.page, self.name, self.findings = page, name, findings
        self.loaded: list[str] = []
        self.checked: list[str] = []
        page.on("load", lambda loaded: self.loaded.append(loaded.url))

    def check(self, *, updated: bool = False) -> None:
        """Run axe on the page that loaded since the last check (or, ``updated``, on the page
        a script changed in place); nothing loaded and nothing changed: nothing to check."""
        self.page.wait_for_load_state()
        if not (self.loaded or updated):
            return
        unchecked = self.loaded[:-1]
        self.findings += [f"{self.name}: {url} loaded and left unchecked" for url in unchecked]
        path = self.page.url.removeprefix(self.page.evaluate("() => location.origin"))
        self.findings += serious_violations(self.page, f"{self.name} {path}")
        self.checked.append(path)
        self.loaded.clear()

    def goto(self, url: str) -> None:
        self.page.goto(url)
        self.check()

    def press(self, target: Locator) -> None:
        """Click a link or a button that leads to another page, and check that page."""
        with self.page.expect_navigation():
            target.click()
        self.check()

    def log_in(self, user: Any, *, admin: bool = False) -> None:
        self.goto(reverse("admin:login" if admin else "login"))
        self.page.get_by_label("E-mail").fill(user.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.press(self.page.get_by_role("button", name="Log in"))
        if not admin:
            expect(self.page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless chromium for the module (the journeys' contexts are opened in it).

    As in ``open_page``: a missing chromium fails (never skips), and the ORM calls the tests
    make while Playwright's loop runs are declared safe (the tests run no async code)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (apt-get install -y chromium)", pytrace=False)
    with ExitStack() as stack:
        stack.enter_context(pytest.MonkeyPatch.context()).setenv(
            "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
        )
        expect.set_options(timeout=TIMEOUT_MS)
        playwright = stack.enter_context(sync_playwright())
        stack.callback(connections.close_all)
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        stack.callback(browser.close)
        yield browser


@pytest.fixture
def findings() -> list[str]:
    return []


@pytest.fixture
def actor(chromium, live_server, findings) -> Iterator[Callable[..., Actor]]:
    """``actor(name, viewport=…)``: a fresh browser context (its own cookies) and tab."""
    with ExitStack() as stack:
        # The ORM connections this test opened under Playwright's loop end with the test.
        stack.callback(connections.close_all)

        def _open(name: str, viewport: dict[str, int] = DESKTOP) -> Actor:
            context = chromium.new_context(base_url=live_server.url, viewport=viewport)
            stack.callback(context.close)
            context.set_default_timeout(TIMEOUT_MS)
            return Actor(context.new_page(), name, findings)

        yield _open


def top(target: Locator) -> float:
    """How far down the page ``target`` starts, in CSS pixels."""
    box = target.bounding_box()
    assert box is not None, f"{target} is not shown"
    return box["y"]


def assert_accessible(findings: list[str], *actors: Actor) -> None:
    for person in actors:
        person.check()  # the page each stands on at the end
        assert person.checked, f"{person.name} checked no page"
    assert not findings, f"{len(findings)} accessibility finding(s):\n" + "\n".join(findings)


# -- 1. the researcher ----------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_researcher_drafts_submits_revises_and_extends_a_loan(
    actor, findings, viewport, researcher, curator_a, collection_a, specimen_a
):
    rita = actor("researcher", viewport=viewport)
    rita.log_in(researcher)

    # From the collection's public page, the loan form with the institution already chosen.
    rita.goto(reverse("collection-detail", args=[collection_a.pk]))
    rita.press(rita.page.get_by_role("link", name="Request a loan"))
    page = rita.page
    expect(page.get_by_role("heading", level=1)).to_have_text("New loan request")

    # An early draft: a title alone.
    page.get_by_label("Title").fill("Revision of Carabus")
    rita.press(page.get_by_role("button", name="Save draft"))
    expect(page.locator("#request-status")).to_have_text("Draft")
    loan = LoanRequest.objects.get()
    assert (loan.status, loan.title, loan.requester) == ("draft", "Revision of Carabus", researcher)
    assert list(loan.items.all()) == []

    # Completed later, and submitted.
    rita.press(page.get_by_role("link", name="Edit the request"))
    page.get_by_label("Entomology (ENT)").check()
    page.get_by_label("Purpose and justification").fill("Morphological revision of the genus.")
    page.get_by_label("Loan wanted from").fill(days(10).isoformat())
    page.get_by_label("Loan wanted until").fill(days(100).isoformat())
    page.get_by_label("Borrowing institution").fill("University of Oslo, Natural History Museum")
    page.get_by_label("Shipping address").fill("Sars gate 1, 0562 Oslo, Norway")
    page.get_by_label("Find specimens in the catalogue").fill("A-0001")
    page.get_by_role("button", name="Search the catalogue").click()
    page.get_by_label("Add A-0001 Carabus auratus").check()
    rita.check(updated=True)  # the search changed the page in place: checked as it stands
    rita.press(page.get_by_role("button", name="Save and submit"))
    expect(page.locator("#request-status")).to_have_text("Submitted")
    loan.refresh_from_db()
    assert loan.status == "submitted"
    assert list(loan.items.values_list("specimen", flat=True)) == [specimen_a.pk]

    # The curator asks for changes, with a reason, in the admin.
    carl = actor("curator")
    carl.log_in(curator_a, admin=True)
    carl.goto(reverse("admin:loans_loanrequest_change", args=[loan.pk]))
    carl.press(carl.page.get_by_role("link", name="Request changes"))
    reason = "Please name the drawers you need: the genus fills forty."
    carl.page.get_by_label("Comment").fill(reason)
    carl.press(carl.page.get_by_role("button", name="Request changes"))
    expect(carl.page.locator(".messagelist")).to_be_visible()
    loan.refresh_from_db()
    assert loan.status == "changes_requested"

    # The researcher reads the reason at the top of the loan's page, above what was asked.
    rita.goto(loan.get_absolute_url())
    word = page.locator("#institution-word")
    expect(word).to_be_visible()
    expect(word).to_contain_text(reason)
    expect(word).to_contain_text("Carl Curator wrote:")
    word_top, about_top = top(word), top(page.locator("#about-heading"))
    assert word_top < about_top, "the reason comes after what was asked"
    assert word_top < viewport["height"], "the reason is not on the first screen"

    rita.press(page.get_by_role("link", name="Edit the request"))
    page.get_by_label("Purpose and justification").fill(
        "Morphological revision of the genus: drawers 12 to 14 only."
    )
    rita.press(page.get_by_role("button", name="Save and submit"))
    expect(page.locator("#request-status")).to_have_text("Submitted")
    expect(page.locator("#institution-word")).to_have_count(0)

    # Approved and sent (set-up through the service), the researcher confirms receipt.
    loan.refresh_from_db()
    perform(loan, "approve", actor=curator_a)
    perform(
        loan,
        "dispatch",
        actor=curator_a,
        carrier="DHL",
        tracking_number="JD01460",
        due_date=days(180),
    )
    rita.goto(loan.get_absolute_url())
    rita.press(page.get_by_role("button", name="Confirm receipt"))
    expect(page.locator("#request-status")).to_have_text("On loan")

    # More time, asked from the loan's page: the page says the ask waits on the curators.
    wanted = days(270).isoformat()
    page.get_by_label("Keep the specimens until").fill(wanted)
    page.get_by_label("Why you need them longer").fill("Two specimens need new photographs.")
    rita.press(page.get_by_role("button", name="Ask for an extension"))
    expect(page.locator("#extension-asked")).to_contain_text(wanted)
    expect(page.locator("#extension-pending")).to_be_visible()
    expect(page.get_by_role("button", name="Ask for an extension")).to_have_count(0)

    loan.refresh_from_db()
    assert loan.status == "on_loan" and loan.extension_wanted_until == days(270)
    assert list(loan.history.order_by("pk").values_list("action", "actor")) == [
        ("submit", researcher.pk),
        ("request_changes", curator_a.pk),
        ("submit", researcher.pk),
        ("approve", curator_a.pk),
        ("dispatch", curator_a.pk),
        ("confirm_receipt", researcher.pk),
        ("request_extension", researcher.pk),
    ]
    assert loan.history.get(action="request_changes").comment == reason
    assert_accessible(findings, rita, carl)


# -- 2. the curator -------------------------------------------------------------------------


@pytest.fixture
def overdue_loan(researcher, institution_a, collection_a, specimen_a):
    """A loan on loan past its due date: two specimens and a lot of 10."""
    second = Specimen.objects.create(
        collection=collection_a, catalog_number="A-0002", scientific_name="Carabus nitens"
    )
    loan = make_request(
        LOAN,
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        specimens=[specimen_a, second],
        status="on_loan",
        title="Ground beetles of the Alps",
    )
    LoanItem.objects.create(loan=loan, description="Carabidae in alcohol, jar 7", quantity=10)
    LoanRequest.objects.filter(pk=loan.pk).update(due_date=days(-3))
    return loan


def test_a_curator_records_a_return_item_by_item_from_the_work_queue(
    actor, findings, curator_a, researcher, overdue_loan
):
    carl = actor("curator")
    carl.log_in(curator_a, admin=True)
    page = carl.page
    queue = page.locator("#queue-loan")
    expect(queue).to_contain_text("Overdue: 1")

    carl.press(queue.locator("#overdue-loan").get_by_role("link", name=overdue_loan.reference))
    carl.press(page.get_by_role("link", name="Record returned items"))
    items = {item.description or item.specimen.catalog_number: item for item in
             overdue_loan.items.select_related("specimen")}  # fmt: skip
    first, lot = items["A-0001"], items["Carabidae in alcohol, jar 7"]
    page.get_by_label(str(first), exact=True).check()
    page.get_by_label(f"{first}: condition").fill("Left antenna lost in transit.")
    page.get_by_label(f"{lot}: how many").fill("6")
    page.get_by_label(f"{lot}: condition").fill("Six vials back intact.")
    carl.press(page.get_by_role("button", name="Record returned items"))
    expect(page.locator(".messagelist")).to_be_visible()

    overdue_loan.refresh_from_db()
    assert overdue_loan.status == "partially_returned"
    first.refresh_from_db()
    lot.refresh_from_db()
    assert (first.returned_count, first.return_condition) == (1, "Left antenna lost in transit.")
    assert (lot.returned_count, lot.return_condition) == (6, "Six vials back intact.")

    # What is still out: the other specimen, and 4 of the lot.
    carl.press(page.get_by_role("link", name="Record returned items"))
    expect(page.get_by_text("4 outstanding; blank: all of them.")).to_be_visible()
    expect(page.get_by_label(str(first), exact=True)).to_have_count(0)

    # The researcher's page shows each item's own note.
    rita = actor("researcher")
    rita.log_in(researcher)
    rita.goto(overdue_loan.get_absolute_url())
    rows = rita.page.locator("#items-heading + .table-scroll tbody tr")
    expect(rows.filter(has_text="A-0001")).to_contain_text("Left antenna lost in transit.")
    expect(rows.filter(has_text="jar 7")).to_contain_text("6 of 10 back")
    expect(rows.filter(has_text="jar 7")).to_contain_text("Six vials back intact.")
    expect(rows.filter(has_text="A-0002")).to_contain_text("not returned")
    expect(rows.filter(has_text="A-0002").locator(".condition")).to_have_count(0)
    assert_accessible(findings, carl, rita)


# -- 3. the coordinator ---------------------------------------------------------------------


def test_a_coordinator_invites_a_colleague_who_signs_up_through_the_mailed_link(
    actor, findings, coordinator_a, researcher, institution_a, collection_a
):
    waiting = make_request(
        LOAN,
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        status="submitted",
    )
    cora = actor("coordinator")
    cora.log_in(coordinator_a, admin=True)
    page = cora.page
    cora.press(page.get_by_role("link", name="Invitations", exact=True))
    cora.press(page.get_by_role("link", name=re.compile("Add invitation", re.IGNORECASE)))
    page.get_by_label("E-mail address").fill("nova@museum.example.org")
    page.get_by_label("Institution").select_option(label=str(institution_a))
    page.get_by_label("Role").select_option("curator")
    cora.press(page.get_by_role("button", name="Save", exact=True))
    expect(page.locator(".messagelist")).to_be_visible()

    (message,) = mail.outbox
    assert message.to == ["nova@museum.example.org"]
    link = re.search(r"https?://[^/\s]+(/accounts/invitations/[^/\s]+/)", message.body)
    assert link, message.body

    nova = actor("colleague")
    nova.goto(link.group(1))
    nova.page.get_by_label("Full name").fill("Nova Curator")
    nova.page.get_by_label(re.compile(r"^Password:?$")).fill("lichen-on-granite-42")
    nova.page.get_by_label("Password confirmation").fill("lichen-on-granite-42")
    nova.press(nova.page.get_by_role("button", name="Create my account and accept"))

    assert nova.page.url.endswith(reverse("admin:index"))
    queue = nova.page.locator("#queue-loan")
    expect(nova.page.locator("#work-queue")).to_contain_text("Requests waiting on INSTA.")
    expect(queue.get_by_role("link", name="Submitted")).to_be_visible()
    nova.press(queue.get_by_role("link", name="Submitted"))
    expect(nova.page.get_by_role("link", name=waiting.reference)).to_be_visible()

    membership = Membership.objects.get(user__email="nova@museum.example.org")
    assert (membership.institution, membership.role) == (institution_a, "curator")
    assert Invitation.objects.get().state == Invitation.State.ACCEPTED
    assert_accessible(findings, cora, nova)
