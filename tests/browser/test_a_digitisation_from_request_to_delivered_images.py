"""A digitisation's whole journey in a real browser: the researcher asks for a catalogued
specimen to be imaged and submits; the curator approves with an estimate in the admin and
uploads the item's master there (the multi-file input); the pipeline processes it,
builds the package and delivers (tasks run inline in the test settings, after each commit, as
a worker would after the hand-over); the researcher sees the request delivered, the images
page with the thumbnail, and downloads the package, a zip.

One master only: the request is delivered as soon as every item has its captures processed, so
a second file of the same upload would arrive after the delivery (tasks run inline here)."""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.digitisation_support import jpeg
from virtual_access.models import DigitisationRequest

pytestmark = pytest.mark.browser


def log_in(page, user) -> None:
    page.goto(reverse("login"))
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_researcher_asks_the_curator_images_and_the_researcher_gets_images_and_package(
    open_page, media, researcher, curator_a, collection_a, specimen_a
):
    page = open_page()
    log_in(page, researcher)
    page.goto(reverse("virtual_access:list"))
    page.get_by_role("link", name=re.compile("New .*request")).click()
    page.get_by_label("Institution").select_option(label="Institution A (INSTA)")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Title").fill("Habitus of Carabus auratus")
    page.get_by_label("Entomology (ENT)").check()
    page.get_by_label("Purpose and justification").fill("Images for a revision of the genus.")
    page.get_by_label("Find specimens in the catalogue").fill("A-0001")
    page.get_by_role("button", name="Search the catalogue").click()
    page.get_by_label("Add A-0001 Carabus auratus").check()
    page.get_by_role("button", name="Save and submit").click()

    expect(page.locator("#request-status")).to_have_text("Submitted")
    request = DigitisationRequest.objects.get()
    assert list(request.items.values_list("specimen", flat=True)) == [specimen_a.pk]
    page.get_by_role("button", name="Log out").click()

    log_in(page, curator_a)
    page.goto(
        reverse("admin:virtual_access_digitisationrequest_action", args=[request.pk, "approve"])
    )
    page.get_by_label("Currency").fill("EUR")
    page.get_by_label("Cost estimate").fill("120.00")
    page.get_by_label("Staff hours").fill("2.5")
    delivery = datetime.date.today() + datetime.timedelta(days=14)
    page.get_by_label("Planned delivery").fill(delivery.isoformat())
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("the request is now in progress")).to_be_visible()

    page.goto(reverse("admin:virtual_access_digitisationrequest_change", args=[request.pk]))
    master = {"name": "A-0001-dorsal.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    page.locator("#id_capture_files").set_input_files([master])
    page.get_by_role("button", name="Upload captures").click()
    expect(page.get_by_text("1 capture of")).to_be_visible()
    expect(page.locator("#capture-table [data-status=processed]")).to_have_count(1)
    page.get_by_role("button", name="Log out").click()

    request.refresh_from_db()
    assert (request.status, request.package_status) == ("delivered", "built")
    assert request.history.filter(action="deliver").count() == 1

    log_in(page, researcher)
    page.goto(request.get_absolute_url())
    expect(page.locator("#request-status")).to_have_text("Delivered")
    page.get_by_role("link", name="See the delivered images").click()
    thumbnail = page.locator("img[src*='/thumbnail/']")
    expect(thumbnail).to_have_count(1)
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=thumbnail.element_handle()
    )

    page.goto(request.get_absolute_url())
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the package").click()
    data = download_info.value.path().read_bytes()
    answer = page.request.get(reverse("virtual_access:package", args=[request.pk]))
    assert answer.ok and answer.headers["content-type"] == "application/zip"
    assert data == answer.body()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        listing = json.loads(archive.read("manifest.json"))
    masters = [f["path"] for f in listing["files"] if f["path"].startswith("masters/")]
    assert masters == [f"masters/A-0001_{request.items.get().captures.get().pk}.jpg"]
