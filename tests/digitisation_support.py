"""What the digitisation tests share: a request in progress at institution A (``dig_request``
with two catalogued items, or ``make_digitisation``), test images made on the spot (real, fake,
truncated, a bomb), and processed captures made by hand (real small images in MEDIA storage,
their SHA-256 from hashlib, their colours set by hand) without the processing step.
``tests/conftest.py`` makes the fixtures available to every test.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import struct
import uuid
import zipfile
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from collections_app.models import Specimen


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


def tiled_tiff(path, size=(8000, 6000), tile=256) -> None:
    """A large RGB master as museum scanners write them: tiled (``tile`` × ``tile``) and
    deflate-compressed, with a colourful gradient. Pillow makes the pixels; it cannot write
    tiles, so the TIFF structure (one IFD, tile offsets and byte counts) is written here,
    one tile at a time (the whole file never sits in memory twice)."""
    width, height = size
    ramp = Image.linear_gradient("L")
    image = Image.merge(
        "RGB",
        (
            ramp.rotate(90).resize(size),
            ramp.resize(size),
            Image.new("L", size, 90),
        ),
    )
    across, down = -(-width // tile), -(-height // tile)
    offsets, counts = [], []
    with open(path, "wb") as out:
        out.write(b"II*\x00" + struct.pack("<I", 0))  # the IFD's offset is filled in last
        for row in range(down):
            for column in range(across):
                box = (column * tile, row * tile, (column + 1) * tile, (row + 1) * tile)
                data = zlib.compress(image.crop(box).tobytes(), 6)  # edge tiles padded
                offsets.append(out.tell())
                counts.append(len(data))
                out.write(data)
        if out.tell() % 2:
            out.write(b"\x00")
        bits_at = out.tell()
        out.write(struct.pack("<3H", 8, 8, 8) + b"\x00\x00")
        offsets_at = out.tell()
        out.write(struct.pack(f"<{len(offsets)}I", *offsets))
        counts_at = out.tell()
        out.write(struct.pack(f"<{len(counts)}I", *counts))
        short, long = 3, 4
        entries = [  # (tag, type, count, value or offset), in tag order
            (256, long, 1, width),  # ImageWidth
            (257, long, 1, height),  # ImageLength
            (258, short, 3, bits_at),  # BitsPerSample
            (259, short, 1, 8),  # Compression: deflate
            (262, short, 1, 2),  # PhotometricInterpretation: RGB
            (277, short, 1, 3),  # SamplesPerPixel
            (284, short, 1, 1),  # PlanarConfiguration: chunky
            (322, long, 1, tile),  # TileWidth
            (323, long, 1, tile),  # TileLength
            (324, long, len(offsets), offsets_at),  # TileOffsets
            (325, long, len(counts), counts_at),  # TileByteCounts
        ]
        ifd_at = out.tell()
        out.write(struct.pack("<H", len(entries)))
        for entry in entries:
            out.write(struct.pack("<HHII", *entry))
        out.write(struct.pack("<I", 0))
        out.seek(4)
        out.write(struct.pack("<I", ifd_at))
