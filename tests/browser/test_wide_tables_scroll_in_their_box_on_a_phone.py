"""On a phone (375 px) a table collapses to the phone's width (its cells and long words wrap), and
its box would scroll sideways, with a shadow where more columns hide, were it still wider; the
page itself never scrolls sideways. (The visit calendars, whose cells stay on one line, scroll
in a keyboard-reachable box: tests/test_visits_calendar*.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from collections_app.models import Specimen

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 375, "height": 812}


def test_the_specimen_table_fits_a_phone_and_the_page_never_scrolls(open_page, collection_a):
    for n in range(3):
        Specimen.objects.create(
            collection=collection_a,
            catalog_number=f"NHMUK-010-{n:07d}",
            scientific_name="Carabus (Megodontus) violaceus purpurascens Fabricius, 1787",
            family="Carabidae",
            type_status="Paralectotype of Carabus purpurascens",
            country="United Kingdom of Great Britain and Northern Ireland",
        )
    page = open_page(viewport=PHONE)

    page.goto(reverse("collection-detail", args=[collection_a.pk]))

    box = page.locator("#specimens-heading ~ .table-scroll")
    sizes = box.evaluate(
        "b => ({client: b.clientWidth, scroll: b.scrollWidth,"
        " overflow: getComputedStyle(b).overflowX, shadow: getComputedStyle(b).backgroundImage,"
        " page: document.documentElement.scrollWidth, view: window.innerWidth})"
    )
    assert sizes["scroll"] <= sizes["client"], sizes  # collapsed: nothing hides aside
    assert sizes["page"] <= sizes["view"], sizes  # the page itself does not scroll sideways
    # Were a table still wider, its box scrolls and shows where more hides.
    assert sizes["overflow"] == "auto"
    assert "radial-gradient" in sizes["shadow"]
    cell = page.locator("#specimens-heading ~ .table-scroll td", has_text="Paralectotype").first
    assert cell.evaluate("c => c.getClientRects().length > 0 && c.offsetHeight > 0")
