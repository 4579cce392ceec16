"""On a phone (375 px), a wide table scrolls sideways inside its own box, which shows a shadow
where more columns hide, while the page itself never scrolls sideways."""

from __future__ import annotations

import pytest
from django.urls import reverse

from collections_app.models import Specimen

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 375, "height": 812}


def test_the_specimen_table_scrolls_in_its_box_not_the_page(open_page, collection_a):
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
    assert sizes["scroll"] > sizes["client"], sizes  # wider than the phone: it scrolls
    assert sizes["overflow"] == "auto"
    assert "radial-gradient" in sizes["shadow"]  # the visible hint that more hides aside
    assert sizes["page"] <= sizes["view"], sizes  # the page itself does not scroll sideways
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    assert box.evaluate("b => b.scrollLeft") > 0
