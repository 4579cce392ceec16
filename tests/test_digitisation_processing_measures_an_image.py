"""Processing a capture proves it is an image, measures it and makes its derivatives."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from tests.digitisation_support import jpeg, png
from virtual_access import processing
from virtual_access.captures import store_capture

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture_of(dig_request, curator_a):
    """``capture_of(data, name)``: a capture of the request's first item, stored."""
    request = dig_request()

    def _capture(data: bytes, name: str):
        item = request.items.first()
        return store_capture(item, ContentFile(data), uploaded_by=curator_a, name=name)

    return _capture


def test_a_jpeg_is_measured_its_hash_size_resolution_and_camera_data(capture_of):
    data = jpeg((1200, 900), dpi=300, exif=True)
    capture = capture_of(data, "NHMUK010101234.jpg")

    result = processing.process(capture)

    assert result["sha256"] == hashlib.sha256(data).hexdigest()
    assert (result["format"], result["media_type"]) == ("JPEG", "image/jpeg")
    assert (result["width"], result["height"]) == (1200, 900)
    assert result["colour_space"] == "srgb"
    assert result["dpi"] == 300
    assert result["exif"] == {
        "Make": "Canon",
        "Model": "EOS 5D Mark IV",
        "DateTimeOriginal": "2026:05:01 10:00:00",
        "ExposureTime": "1/125 sec.",
        "FNumber": "f/2.8",
        "ISOSpeedRatings": "200",
        "FocalLength": "100.0 mm",
    }


def test_a_file_without_a_stated_resolution_has_no_dpi(capture_of):
    result = processing.process(capture_of(png(), "plate.png"))

    assert (result["format"], result["width"], result["height"]) == ("PNG", 300, 200)
    assert result["dpi"] is None
    assert result["exif"] == {}


def test_the_derivatives_are_jpegs_of_2048_and_256_pixels_on_the_long_edge(capture_of):
    capture = capture_of(jpeg((4000, 3000)), "big.jpg")

    result = processing.process(capture)

    request_id = capture.item.request_id
    assert result["web"].startswith(f"derivatives/{request_id}/{capture.pk}-")
    assert result["web"].endswith("-web.jpg")
    assert result["thumbnail"].endswith("-thumb.jpg")
    with default_storage.open(result["web"]) as web, Image.open(web) as image:
        assert (image.format, image.size) == ("JPEG", (2048, 1536))
    with default_storage.open(result["thumbnail"]) as thumb, Image.open(thumb) as image:
        assert (image.format, image.size) == ("JPEG", (256, 192))


def test_a_small_image_is_not_enlarged(capture_of):
    result = processing.process(capture_of(jpeg((500, 1000)), "small.jpg"))

    with default_storage.open(result["web"]) as web, Image.open(web) as image:
        assert image.size == (500, 1000)
    with default_storage.open(result["thumbnail"]) as thumb, Image.open(thumb) as image:
        assert image.size == (128, 256)


def test_no_partial_file_is_left_beside_the_derivatives(capture_of, media):
    result = processing.process(capture_of(jpeg(), "a.jpg"))

    folder = (media / result["web"]).parent
    assert sorted(path.name.endswith(".partial") for path in folder.iterdir()) == [False, False]


def test_a_discarded_result_leaves_no_derivative(capture_of):
    result = processing.process(capture_of(jpeg(), "a.jpg"))

    processing.discard(result)

    assert not default_storage.exists(result["web"])
    assert not default_storage.exists(result["thumbnail"])


def test_the_result_is_stored_as_it_is_by_the_task(capture_of):
    from virtual_access.models import Capture
    from virtual_access.tasks import process_capture

    capture = capture_of(jpeg(dpi=600), "a.jpg")

    assert process_capture(capture.pk) == "processed"

    capture = Capture.objects.get(pk=capture.pk)
    assert (capture.status, capture.dpi, capture.width) == ("processed", 600, 640)
    assert capture.item.status == "processed"
