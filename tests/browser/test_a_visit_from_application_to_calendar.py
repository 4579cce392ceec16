"""A visit's whole journey in a real browser: the researcher applies with a co-visitor and a
facility and checks availability; the curator approves other dates in the admin; the month
calendar and a private iCalendar feed then show the confirmed visit."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from icalendar import Calendar
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.visits_support import monday
from visits.models import VisitRequest

pytestmark = pytest.mark.browser
ONE_DAY = datetime.timedelta(days=1)


def log_in(page, user) -> None:
    page.goto(reverse("login"))
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_researcher_applies_the_curator_approves_other_dates_and_calendar_and_feed_show_it(
    open_page, researcher, curator_a, collection_a, facility_a
):
    proposed, confirmed = monday(3), monday(4)
    page = open_page()
    log_in(page, researcher)
    page.goto(reverse("visits:list"))
    page.get_by_role("link", name="New visit request").click()
    page.get_by_label("Institution").select_option(label="Institution A (INSTA)")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Title").fill("Carabus genitalia")
    page.get_by_label("Entomology (ENT)").check()
    page.get_by_label("Purpose and justification").fill("Morphological revision of the genus.")
    page.get_by_label("First day proposed").fill(proposed.isoformat())
    page.get_by_label("Last day proposed").fill((proposed + 2 * ONE_DAY).isoformat())
    page.locator("#id_facilities-0-facility").select_option(str(facility_a.pk))
    page.locator("#id_visitors-0-name").fill("Ana Lima")
    page.locator("#id_visitors-0-email").fill("ana.lima@example.org")
    page.get_by_role("button", name="Check availability").click()
    expect(page.locator("#availability-table")).to_contain_text("Imaging suite")
    assert not VisitRequest.objects.exists()  # checking saves nothing
    page.get_by_role("button", name="Save and submit").click()

    expect(page.locator("#request-status")).to_have_text("Submitted")
    visit = VisitRequest.objects.get()
    assert visit.co_visitors.get().email == "ana.lima@example.org"
    page.get_by_role("button", name="Log out").click()

    log_in(page, curator_a)
    page.goto(reverse("admin:visits_visitrequest_action", args=[visit.pk, "approve"]))
    page.get_by_label("First day").fill(confirmed.isoformat())
    page.get_by_label("Last day").fill((confirmed + ONE_DAY).isoformat())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("the request is now approved")).to_be_visible()

    page.goto(
        reverse("visits:calendar")
        + f"?institution={collection_a.institution_id}&month={confirmed:%Y-%m}"
    )
    expect(page.get_by_role("link", name=re.compile(visit.reference)).first).to_be_visible()

    page.goto(reverse("visits:feeds"))
    page.get_by_role("radio", name="institution").check()
    page.locator("#id_institution").select_option(str(collection_a.institution_id))
    page.get_by_role("button", name="Make the feed").click()
    address = page.get_by_label("Subscription address").input_value()
    feed = page.request.get(address.replace(address.split("/visits/")[0], ""))
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert event["DTSTART"].dt == confirmed
    assert event["DTEND"].dt == confirmed + 2 * ONE_DAY
    assert str(event["STATUS"]) == "CONFIRMED"
