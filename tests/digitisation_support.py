"""What the digitisation pipeline's tests share: a request in progress with two catalogued
items, and test images made on the spot (real, fake, truncated, a bomb).

The fixtures are offered to every test by ``tests/conftest.py``; the image makers are plain
functions returning bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from django.utils import timezone
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from collections_app.models import Specimen


@pytest.fixture
def media(settings, tmp_path):
    """Uploads and derivatives under a fresh folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def dig_request(researcher, institution_a, collection_a, media):
    """``dig_request(status="in_progress", requester=…)``: a digitisation request to institution A
    for two catalogued specimens (NHMUK010101234, NHMUK010101235), items pending."""
    from virtual_access.models import DigitisationItem, DigitisationRequest

    def _make(status: str = "in_progress", requester=None, institution=None, collection=None):
        request = DigitisationRequest.objects.create(
            requester=requester or researcher,
            institution=institution or institution_a,
            title="Images of Carabus types",
            purpose="Revision of the genus.",
            licence="CC0-1.0",
        )
        request.collections.add(collection or collection_a)
        for number in ("NHMUK010101234", "NHMUK010101235"):
            specimen, _ = Specimen.objects.get_or_create(
                collection=collection or collection_a,
                catalog_number=number,
                defaults={"scientific_name": "Carabus auratus"},
            )
            DigitisationItem.objects.create(request=request, specimen=specimen)
        if status != "draft":
            DigitisationRequest.objects.filter(pk=request.pk).update(
                status=status, submitted_at=timezone.now()
            )
            request.refresh_from_db()
        return request

    return _make


def jpeg(size=(640, 480), colour=(200, 30, 30), *, dpi=None, exif=False) -> bytes:
    """A solid-colour JPEG, with a resolution and a camera's EXIF if asked."""
    options = {"quality": 92}
    if dpi:
        options["dpi"] = (dpi, dpi)
    if exif:
        data = Image.Exif()
        data[0x010F] = "Canon"
        data[0x0110] = "EOS 5D Mark IV"
        camera = data.get_ifd(0x8769)
        camera[0x9003] = "2026:05:01 10:00:00"
        camera[0x829A] = IFDRational(1, 125)
        camera[0x829D] = IFDRational(28, 10)
        camera[0x8827] = 200
        camera[0x920A] = IFDRational(100, 1)
        options["exif"] = data
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", **options)
    return out.getvalue()


def png(size=(300, 200), colour=(30, 30, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def noisy_jpeg(size=(1600, 1200)) -> bytes:
    """A JPEG whose data is spread over the whole file (noise), so that cutting it loses rows."""
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "JPEG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = noisy_jpeg()
    return data[: len(data) // 2]


def text_as_jpg() -> bytes:
    return b"Specimen list\nNHMUK010101234 Carabus auratus\n" * 20


def zip_as_tif() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "not an image " * 100)
    return out.getvalue()


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A PNG whose header declares ``width`` × ``height`` pixels with next to no data: written
    by hand, since no image library would make the real thing cheaply."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    # One row's worth of zeros, compressed: a few bytes standing for 2.7 GB of pixels.
    data = zlib.compress(b"\x00" * (1 + width * 3), 9)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
