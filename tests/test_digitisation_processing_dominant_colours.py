"""A capture's dominant colour lets people browse images by colour; a herbarium sheet's white
paper does not count over the plant on it."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from virtual_access import processing


def analyse(tmp_path, image: Image.Image) -> dict:
    master = tmp_path / "master.png"
    image.save(master)
    return processing.analyse(master, tmp_path / "web.jpg", tmp_path / "thumb.jpg")


@pytest.mark.parametrize(
    ("rgb", "hue"), [((220, 20, 20), 0), ((20, 200, 20), 120), ((20, 20, 220), 240)]
)
def test_a_solid_image_has_its_colour_s_hue(tmp_path, settings, rgb, hue):
    found = analyse(tmp_path, Image.new("RGB", (400, 300), rgb))

    assert found["hue"] == pytest.approx(hue, abs=3)
    assert found["colours"][0]["share"] == pytest.approx(1.0)
    assert found["colours"][0]["hex"].startswith("#")


def test_a_herbarium_sheet_is_browsed_by_its_plant_not_its_paper(tmp_path, settings):
    sheet = Image.new("RGB", (600, 900), (245, 243, 238))  # paper: most of the image
    ImageDraw.Draw(sheet).rectangle((200, 250, 400, 650), fill=(40, 120, 40))  # the plant

    found = analyse(tmp_path, sheet)

    assert found["colours"][0]["lightness"] > 0.9  # the paper covers most …
    assert found["hue"] == pytest.approx(120, abs=5)  # … the plant is the dominant colour
    shares = [colour["share"] for colour in found["colours"]]
    assert shares == sorted(shares, reverse=True)


def test_an_image_with_no_colour_has_no_hue_but_a_lightness(tmp_path, settings):
    found = analyse(tmp_path, Image.new("RGB", (300, 300), (128, 128, 128)))

    assert found["hue"] is None
    assert found["lightness"] == pytest.approx(0.5, abs=0.02)


def test_colours_are_json_safe_numbers_and_strings(tmp_path, settings):
    import json

    found = analyse(tmp_path, Image.new("RGB", (300, 300), (10, 90, 200)))

    assert json.loads(json.dumps(found["colours"])) == found["colours"]
    assert set(found["colours"][0]) == {"hex", "share", "hue", "saturation", "lightness"}


def test_a_greyscale_master_still_gives_a_thumbnail_and_colours(tmp_path, settings):
    out = io.BytesIO()
    Image.new("L", (300, 300), 200).save(out, "TIFF")
    master = tmp_path / "grey.tif"
    master.write_bytes(out.getvalue())

    found = processing.analyse(master, tmp_path / "web.jpg", tmp_path / "thumb.jpg")

    assert found["colour_space"] == "b-w"
    assert found["hue"] is None
