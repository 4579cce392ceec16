"""The delivered set's colour order on hand-made solid-colour images: by hue (red, yellow,
green, blue), then lightness, greys last; and the colour filter keeps one band."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

COLOURS = {
    "grey": (128, 128, 128),
    "blue": (30, 40, 210),
    "green": (30, 190, 40),
    "yellow": (235, 220, 20),
    "red": (215, 25, 25),
    "dark red": (110, 10, 10),
}


@pytest.fixture
def rainbow(make_digitisation, make_specimen, make_item, make_capture):
    """One specimen per colour, catalogue numbers in another order than the colours'."""
    request = make_digitisation()
    for number, (name, rgb) in enumerate(COLOURS.items()):
        specimen = make_specimen(f"C-{number}", scientific_name=f"Species {name}")
        make_capture(make_item(request, specimen), rgb)
    return request


def _alts(answer) -> list[str]:
    return re.findall(r'<img src="[^"]+" alt="([^"]+)"', answer.text)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_colour_order_is_hue_then_lightness_with_greys_last(rainbow, researcher):
    answer = _client(researcher).get(f"/virtual_access/{rainbow.pk}/images/?sort=colour")
    assert answer.status_code == 200
    names = [alt.split("Species ")[1] for alt in _alts(answer)]
    assert names == ["dark red", "red", "yellow", "green", "blue", "grey"]


def test_catalogue_and_taxon_orders(rainbow, researcher):
    client = _client(researcher)
    by_number = _alts(client.get(f"/virtual_access/{rainbow.pk}/images/?sort=catalogue"))
    assert [alt.split()[0] for alt in by_number] == [f"C-{n}" for n in range(6)]
    by_taxon = _alts(client.get(f"/virtual_access/{rainbow.pk}/images/?sort=taxon"))
    assert [alt.split("Species ")[1] for alt in by_taxon] == sorted(COLOURS)


@pytest.mark.parametrize(
    ("band", "expected"),
    [("red", ["dark red", "red"]), ("blue", ["blue"]), ("grey", ["grey"]), ("pink", [])],
)
def test_the_colour_filter_keeps_one_band(rainbow, researcher, band, expected):
    answer = _client(researcher).get(
        f"/virtual_access/{rainbow.pk}/images/?sort=colour&colour={band}"
    )
    assert [alt.split("Species ")[1] for alt in _alts(answer)] == expected


def test_the_mosaic_lays_the_thumbnails_out_by_hue(rainbow, researcher):
    answer = _client(researcher).get(f"/virtual_access/{rainbow.pk}/images/?view=mosaic")
    assert 'class="mosaic"' in answer.text
    names = [alt.split("Species ")[1] for alt in _alts(answer)]
    assert names == ["dark red", "red", "yellow", "green", "blue", "grey"]


def test_each_thumbnail_links_to_its_web_derivative_served_by_a_scoped_view(
    rainbow, researcher, outsider
):
    answer = _client(researcher).get(f"/virtual_access/{rainbow.pk}/images/")
    links = re.findall(
        r'<a href="(/virtual_access/\d+/images/\d+/web/)"><img src="([^"]+)"', answer.text
    )
    assert len(links) == 6
    web, thumbnail = links[0]
    assert thumbnail.endswith("/thumbnail/")
    image = _client(researcher).get(web)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert _client(outsider).get(web).status_code == 404
    assert _client(outsider).get(f"/virtual_access/{rainbow.pk}/images/").status_code == 404
