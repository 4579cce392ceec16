"""Fakes, truncated files and decompression bombs are refused with a reason a curator can act
on; the item is then failed with that reason, and retrying makes it wait again."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from tests.digitisation_support import (
    bomb_png,
    jpeg,
    text_as_jpg,
    truncated_jpeg,
    zip_as_tif,
)
from virtual_access import pipeline, processing
from virtual_access.captures import store_capture
from virtual_access.models import Capture
from virtual_access.tasks import process_capture

pytestmark = pytest.mark.django_db

BAD_FILES = {
    "a text file renamed .jpg": (text_as_jpg, "list.jpg", "not an image"),
    "a zip renamed .tif": (zip_as_tif, "scan.tif", "not an image"),
    "a truncated JPEG": (truncated_jpeg, "cut.jpg", "damaged or truncated file"),
    "a 30000×30000 bomb": (bomb_png, "bomb.png", "too many pixels: 30000 × 30000"),
}


@pytest.fixture
def request_in_progress(dig_request):
    return dig_request()


def store(request, curator, data: bytes, name: str, item_index: int = 0) -> Capture:
    item = list(request.items.all())[item_index]
    return store_capture(item, ContentFile(data), uploaded_by=curator, name=name)


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_refused_with_its_reason(request_in_progress, curator_a, case):
    make, name, reason = BAD_FILES[case]
    capture = store(request_in_progress, curator_a, make(), name)

    with pytest.raises(processing.ImageRefused, match=reason):
        processing.process(capture)


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_the_item_of_a_refused_capture_fails_with_the_reason(request_in_progress, curator_a, case):
    make, name, reason = BAD_FILES[case]
    capture = store(request_in_progress, curator_a, make(), name)

    assert process_capture(capture.pk) == "refused"

    capture.refresh_from_db()
    assert capture.status == "failed" and reason in capture.error
    item = capture.item
    item.refresh_from_db()
    assert item.status == "failed"
    assert item.failure_reason.startswith(f"{name}: ") and reason in item.failure_reason


def test_the_bomb_is_refused_from_its_header_before_any_pixel_is_decoded(
    request_in_progress, curator_a, monkeypatch
):
    capture = store(request_in_progress, curator_a, bomb_png(), "bomb.png")
    decoded = []
    monkeypatch.setattr(
        processing.pyvips.Image, "thumbnail_image", lambda *a, **k: decoded.append(1)
    )

    with pytest.raises(processing.ImageRefused, match="900 megapixels"):
        processing.process(capture)
    assert decoded == []


def test_the_pixel_limit_is_a_setting(request_in_progress, curator_a, settings):
    settings.DIGITISATION_MAX_PIXELS = 100_000
    capture = store(request_in_progress, curator_a, jpeg((400, 300)), "a.jpg")

    with pytest.raises(processing.ImageRefused, match="limit of 0 megapixels"):
        processing.process(capture)


def test_a_refused_file_leaves_no_derivative(request_in_progress, curator_a, media):
    capture = store(request_in_progress, curator_a, truncated_jpeg(), "cut.jpg")

    with pytest.raises(processing.ImageRefused):
        processing.process(capture)

    folder = media / "derivatives" / str(request_in_progress.pk)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_retrying_a_failed_item_makes_its_refused_captures_wait_again(
    request_in_progress, curator_a, django_capture_on_commit_callbacks, monkeypatch
):
    capture = store(request_in_progress, curator_a, truncated_jpeg(), "cut.jpg")
    process_capture(capture.pk)
    enqueued = []
    monkeypatch.setattr(pipeline, "enqueue_captures", enqueued.extend)

    pipeline.retry_items(request_in_progress, [capture.item_id])

    capture.refresh_from_db()
    assert (capture.status, capture.error) == ("pending", "")
    item = capture.item
    item.refresh_from_db()
    assert (item.status, item.failure_reason) == ("captured", "")
    assert enqueued == [capture.pk]


def test_a_good_capture_beside_a_refused_one_is_still_processed(request_in_progress, curator_a):
    bad = store(request_in_progress, curator_a, text_as_jpg(), "list.jpg")
    good = store(request_in_progress, curator_a, jpeg(), "NHMUK010101234.jpg")

    process_capture(bad.pk)
    process_capture(good.pk)

    good.refresh_from_db()
    assert good.status == "processed"
    item = good.item
    item.refresh_from_db()
    assert item.status == "failed" and "list.jpg" in item.failure_reason
