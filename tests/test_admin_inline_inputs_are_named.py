"""Every input of a tabular inline has an accessible name: its column's label (the rows'
"Delete" boxes too), for every registered admin, as the site mixes the naming in
(``elvis.admin.LabelledInlineInputs``). Issue #10's audit found 69 unnamed inputs and 5
unnamed selects on one institution's page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

from collections_app.models import Facility, Instrument
from elvis.admin import LabelledInlineInputs


class Inputs(HTMLParser):
    """The visible form controls of a page, by id: their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("input", "select", "textarea") and values.get("type") != "hidden":
            self.controls[values.get("id") or ""] = values


def controls(html: str) -> dict[str, dict[str, str | None]]:
    parser = Inputs()
    parser.feed(html)
    return parser.controls


def test_every_registered_admin_names_its_inline_inputs():
    assert all(isinstance(ma, LabelledInlineInputs) for ma in admin.site._registry.values())


def test_the_institution_page_names_every_input_of_its_inlines(
    client, coordinator_a, institution_a, collection_a
):
    Facility.objects.create(institution=institution_a, name="Imaging suite", daily_capacity=2)
    client.force_login(coordinator_a)

    page = client.get(reverse("admin:collections_app_institution_change", args=[institution_a.pk]))

    found = controls(page.content.decode())
    inline = {id_: attrs for id_, attrs in found.items() if "-0-" in id_ or "__prefix__" in id_}
    assert inline, "the page shows no inline row"
    unnamed = [id_ for id_, attrs in inline.items() if not attrs.get("aria-label")]
    assert unnamed == []
    assert found["id_collections-0-code"]["aria-label"] == "Code"
    assert found["id_facilities-0-type"]["aria-label"] == "Type"
    assert found["id_collections-0-DELETE"]["aria-label"] == "Delete"
    # The empty row that "Add another" copies is named too.
    assert found["id_facilities-__prefix__-name"]["aria-label"] == "Name"


@pytest.mark.parametrize("language, label", [("fr", "Nom"), ("de", "Name")])
def test_the_names_are_in_the_users_language(client, coordinator_a, institution_a, language, label):
    facility = Facility.objects.create(institution=institution_a, name="Lab", daily_capacity=1)
    Instrument.objects.create(facility=facility, name="Stereo microscope")
    client.force_login(coordinator_a)

    page = client.get(
        reverse("admin:collections_app_facility_change", args=[facility.pk]),
        headers={"accept-language": language},
    )

    assert controls(page.content.decode())["id_instruments-0-name"]["aria-label"] == label
