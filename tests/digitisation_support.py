"""What the digitisation tests share: a request in progress at institution A, and processed
captures made by hand (real small images in MEDIA storage, their SHA-256 from hashlib, their
colours set by hand), without the processing step. ``tests/conftest.py`` makes the fixtures
available to every test.

``virtual_access.tasks`` imports ``virtual_access.processing``; where that module is not in the
tree yet, a stand-in that refuses every image is installed, so the packaging tests run alone.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import sys
import types
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from collections_app.models import Specimen

try:  # pragma: no cover - depends on the branch
    import virtual_access.processing
except ImportError:  # pragma: no cover
    stand_in = types.ModuleType("virtual_access.processing")

    class ImageRefused(Exception):
        pass

    def process(capture):
        raise ImageRefused("no processing in this tree")

    stand_in.ImageRefused = ImageRefused
    stand_in.process = process
    stand_in.discard = lambda result: None
    sys.modules["virtual_access.processing"] = stand_in
    import virtual_access

    virtual_access.processing = stand_in


def _jpeg(rgb: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, rgb).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _tiff(rgb: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, rgb).save(buffer, "TIFF")
    return buffer.getvalue()


def hls_of(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """(hue in degrees, lightness 0–1, saturation 0–1), as the processing step stores them."""
    h, lightness, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    return h * 360, lightness, s


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def make_digitisation(media, researcher, institution_a, collection_a):
    """``make_digitisation(status="in_progress", **fields)``: a request to institution A."""
    from virtual_access.models import DigitisationRequest

    def _make(status: str = "in_progress", requester=None, **fields):
        request = DigitisationRequest.objects.create(
            requester=requester or researcher,
            institution=institution_a,
            title=fields.pop("title", "Carabus types"),
            purpose="Images of the types for a revision.",
            licence=fields.pop("licence", "CC-BY-4.0"),
            **fields,
        )
        request.collections.add(collection_a)
        DigitisationRequest.objects.filter(pk=request.pk).update(
            status=status, submitted_at=timezone.now()
        )
        request.refresh_from_db()
        return request

    return _make


@pytest.fixture
def make_specimen(collection_a):
    def _make(catalog_number: str, **fields) -> Specimen:
        return Specimen.objects.create(
            collection=collection_a, catalog_number=catalog_number, **fields
        )

    return _make


@pytest.fixture
def make_item():
    def _make(request, specimen=None, *, status="processed", description="", quantity=1):
        from virtual_access.models import DigitisationItem

        return DigitisationItem.objects.create(
            request=request,
            specimen=specimen,
            description=description,
            quantity=quantity,
            status=status,
        )

    return _make


@pytest.fixture
def make_capture(curator_a):
    """``make_capture(item, rgb)``: a processed capture of a solid-colour image: a TIFF master,
    JPEG web and thumbnail derivatives, hash and colours as processing would record them."""

    def _make(item, rgb=(200, 30, 30), *, size=(64, 48), status="processed"):
        from virtual_access.models import Capture

        master = _tiff(rgb, size)
        stem = f"{item.request_id}/{uuid.uuid4().hex}"
        master_name = default_storage.save(f"captures/{stem}.tif", ContentFile(master))
        web_name = default_storage.save(
            f"derivatives/{stem}-web.jpg", ContentFile(_jpeg(rgb, size))
        )
        thumb_name = default_storage.save(
            f"derivatives/{stem}-thumb.jpg", ContentFile(_jpeg(rgb, (16, 12)))
        )
        hue, lightness, saturation = hls_of(rgb)
        achromatic = saturation < 0.05
        return Capture.objects.create(
            item=item,
            file=master_name,
            original_name=f"IMG_{item.pk}.tif",
            size=len(master),
            uploaded_by=curator_a,
            status=status,
            processed_at=timezone.now(),
            sha256=hashlib.sha256(master).hexdigest(),
            format="TIFF",
            media_type="image/tiff",
            width=size[0],
            height=size[1],
            colour_space="RGB",
            dpi=600,
            web=web_name,
            thumbnail=thumb_name,
            colours=[
                {
                    "hex": "#{:02x}{:02x}{:02x}".format(*rgb),
                    "share": 1.0,
                    "hue": None if achromatic else hue,
                    "saturation": saturation,
                    "lightness": lightness,
                }
            ],
            hue=None if achromatic else hue,
            lightness=lightness,
        )

    return _make


@pytest.fixture
def delivered_set(make_digitisation, make_specimen, make_item, make_capture):
    """A request in progress with three processed specimens (one with a CETAF-style stable
    identifier), one described lot, one image each."""
    request = make_digitisation()
    full = make_specimen(
        "A-0002",
        scientific_name="Carabus auratus",
        family="Carabidae",
        type_status="holotype",
        country="FR",
        locality="Fontainebleau",
        event_date="1903-06-12",
        preparations="pinned",
        occurrence_id="https://data.example.org/specimen/A-0002",
    )
    named = make_specimen("A-0001", scientific_name="Carabus nemoralis", country="DE")
    bare = make_specimen("A-0003")
    items = [
        make_item(request, full),
        make_item(request, named),
        make_item(request, bare),
        make_item(request, description="20 unsorted Carabidae, drawer 14", quantity=20),
    ]
    for item, rgb in zip(
        items, [(220, 20, 20), (20, 180, 40), (30, 40, 200), (128, 128, 128)], strict=True
    ):
        make_capture(item, rgb)
    return request
