"""What the pipeline does to one capture: prove it is an image, measure it, derive from it.

``process(capture)`` is called by the ``process_capture`` task once it holds the capture's
claim. It returns the Capture field values to store, or raises ``ImageRefused`` with a reason a
curator can act on. It never changes the database itself: the task records the result under
its claim, and ``discard(result)`` removes the files of a result that lost it.

The library is libvips (``pyvips`` with the ``pyvips-binary`` wheel, which needs no system
package). Museum masters are TIFFs of several hundred MB; libvips reads them in a stream of
tiles or strips (``access="sequential"``) and shrinks as it reads, so memory stays bounded by
a few rows of tiles, not by the image. Pillow would decode a whole TIFF into memory first.

Refusals, in the order they are checked:

1. not an image: libvips recognises no image format in the bytes (a text file renamed
   ``.jpg``, a zip renamed ``.tif``), or a format we do not take as a master;
2. too many pixels: the header declares more than ``DIGITISATION_MAX_PIXELS`` (a
   decompression bomb), checked before a single pixel is decoded;
3. damaged: the header cannot be read, or decoding stops early (a truncated file) — every
   pixel is decoded once, while the web derivative is made, with ``fail_on="truncated"``.

Dominant colours come from the thumbnail, quantised to a small palette; see
``dominant_colours`` for the rule that looks past the white paper of a herbarium sheet.
"""

from __future__ import annotations

import colorsys
import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyvips
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image

#: libvips's loaders we take masters from, and what they are.
FORMATS: dict[str, tuple[str, str]] = {
    "jpegload": ("JPEG", "image/jpeg"),
    "pngload": ("PNG", "image/png"),
    "tiffload": ("TIFF", "image/tiff"),
    "webpload": ("WEBP", "image/webp"),
    "jp2kload": ("JPEG2000", "image/jp2"),
}
WEB_EDGE = 2048
THUMBNAIL_EDGE = 256
JPEG_QUALITY = 85
PALETTE_SIZE = 8
COLOURS_KEPT = 5
#: A colour this grey, this light or this dark is background (paper, a grey card, shadow).
CHROMA_MIN_SATURATION = 0.15
BACKGROUND_MIN_LIGHTNESS = 0.92
BACKGROUND_MAX_LIGHTNESS = 0.08
#: The most covering chromatic colour is dominant if it covers at least this share.
CHROMATIC_MIN_SHARE = 0.05
#: Camera data kept from EXIF, under their EXIF names (libvips's IFD of each in brackets).
EXIF_TAGS = {
    "Make": "exif-ifd0-Make",
    "Model": "exif-ifd0-Model",
    "DateTimeOriginal": "exif-ifd2-DateTimeOriginal",
    "ExposureTime": "exif-ifd2-ExposureTime",
    "FNumber": "exif-ifd2-FNumber",
    "ISOSpeedRatings": "exif-ifd2-ISOSpeedRatings",
    "FocalLength": "exif-ifd2-FocalLength",
}
#: libvips shows an EXIF entry as ``raw (readable, type, n components, n bytes)``.
EXIF_VALUE = re.compile(r"^.*? \((?P<text>.*), [A-Za-z ]+, \d+ components?, \d+ bytes\)$", re.S)
MM_PER_INCH = 25.4
#: libvips's resolution when a file states none: 72 dpi (JPEG, PNG) or 1 pixel/mm (TIFF).
DEFAULT_RESOLUTIONS = (72 / MM_PER_INCH, 1.0)
HASH_CHUNK = 1024 * 1024

# Keep libvips's operation cache small: a worker processes one huge image after another, and
# nothing is reused between them.
pyvips.cache_set_max(10)
pyvips.cache_set_max_mem(16 * 1024 * 1024)


class ImageRefused(Exception):
    """The file is not an image we can take; the message says why (shown to the curators)."""


def max_pixels() -> int:
    return getattr(settings, "DIGITISATION_MAX_PIXELS", 400_000_000)


# -- the task's entry points -------------------------------------------------------------------


def process(capture: Any) -> dict[str, Any]:
    """Check, measure and derive ``capture``'s master; the Capture field values to store.

    The derivatives are written under a name of this run's own, so that a run that lost its
    claim (see ``tasks.process_capture``) discards its files without touching the winner's.
    """
    run = uuid.uuid4().hex[:12]
    base = f"derivatives/{capture.item.request_id}/{capture.pk}-{run}"
    web_name, thumbnail_name = f"{base}-web.jpg", f"{base}-thumb.jpg"
    web_path, thumbnail_path = Path(_local(web_name)), Path(_local(thumbnail_name))
    web_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(capture, web_path.parent)
    web_partial = web_path.with_name(f".{web_path.name}.partial")
    thumbnail_partial = thumbnail_path.with_name(f".{thumbnail_path.name}.partial")
    try:
        with _master_on_disk(capture.file) as master:
            found = analyse(master, web_partial, thumbnail_partial)
        pause_for_tests("DIGITISATION_PROCESSING_PAUSE_SECONDS")
        # Renamed into place only once both are complete: nothing half-written is visible.
        os.replace(web_partial, web_path)
        os.replace(thumbnail_partial, thumbnail_path)
    finally:
        web_partial.unlink(missing_ok=True)
        thumbnail_partial.unlink(missing_ok=True)
    return {**found, "web": web_name, "thumbnail": thumbnail_name}


def discard(result: dict[str, Any]) -> None:
    """Remove the files of a result that will not be recorded."""
    for name in (result.get("web"), result.get("thumbnail")):
        if name:
            default_storage.delete(name)


def pause_for_tests(setting: str) -> None:
    """A test/ops knob, off by default: sleep ``settings.<setting>`` seconds when it is above
    0. The pipeline calls it at its most delicate moment (files written, not yet renamed into
    place) so that the killed-worker tests (``tests/integration/test_digitisation_killed_
    worker.py``) can kill a real worker there. Never set in production."""
    seconds = float(getattr(settings, setting, 0) or 0)
    if seconds > 0:
        time.sleep(seconds)


def _remove_leftovers(capture: Any, folder: Path) -> None:
    """Files of this capture's earlier runs that died under their claim (a killed worker):
    ``.partial`` files, or derivatives renamed into place but never recorded. Called under
    the claim, so no live run of this capture owns them; recorded derivatives are kept."""
    recorded = {Path(_local(f.name)) for f in (capture.web, capture.thumbnail) if f}
    for leftover in [*folder.glob(f".{capture.pk}-*.partial"), *folder.glob(f"{capture.pk}-*")]:
        if leftover not in recorded:
            leftover.unlink(missing_ok=True)


def _local(name: str) -> str:
    """Derivatives are written in place: the media storage is a local file system."""
    return default_storage.path(name)


@contextlib.contextmanager
def _master_on_disk(file: Any) -> Iterator[Path]:
    """The master as a local path: its own, or a streamed temporary copy for a remote store."""
    try:
        yield Path(file.path)
        return
    except NotImplementedError:
        pass
    with tempfile.NamedTemporaryFile(suffix=Path(file.name).suffix) as copy:
        with file.open("rb") as source:
            shutil.copyfileobj(source, copy, HASH_CHUNK)
        copy.flush()
        yield Path(copy.name)


# -- the work, on files: no database, so that it can be measured on its own ----------------------


def analyse(master: Path, web_path: Path, thumbnail_path: Path) -> dict[str, Any]:
    """Refuse ``master`` or measure it; writes the web derivative and the thumbnail (JPEG).

    Returns the measured fields: sha256, format, media_type, width, height, colour_space,
    dpi, exif, colours, hue, lightness.
    """
    image, loader = open_checked(master)
    file_format, media_type = FORMATS[loader]
    try:
        web = _displayable(image.thumbnail_image(WEB_EDGE, height=WEB_EDGE, size="down"))
        # The one full decode: every pixel streams through the shrink, so a truncated file
        # fails here (fail_on="truncated"), in bounded memory.
        web.jpegsave(str(web_path), Q=JPEG_QUALITY, keep="none", optimize_coding=True)
        small = pyvips.Image.new_from_file(str(web_path))
        thumbnail = small.thumbnail_image(THUMBNAIL_EDGE, height=THUMBNAIL_EDGE, size="down")
        thumbnail.jpegsave(str(thumbnail_path), Q=JPEG_QUALITY, keep="none")
    except pyvips.Error as error:
        reason = _("damaged or truncated file: %(error)s") % _vips_reason(error)
        raise ImageRefused(reason) from None
    colours = dominant_colours(thumbnail_path)
    main = pick_dominant(colours)
    return {
        "sha256": sha256_of(master),
        "format": file_format,
        "media_type": media_type,
        "width": image.width,
        "height": image.height,
        "colour_space": str(image.interpretation),
        "dpi": dpi_of(image),
        "exif": exif_of(image),
        "colours": colours,
        "hue": main["hue"] if main and main["saturation"] >= CHROMA_MIN_SATURATION else None,
        "lightness": main["lightness"] if main else None,
    }


def open_checked(master: Path) -> tuple[pyvips.Image, str]:
    """The master opened for one sequential pass (header only, so far), and its loader;
    refused if it is not an image we take or declares too many pixels."""
    loader = _loader_for(master)
    if loader is None:
        raise ImageRefused(_("not an image: the file's content is no known image format"))
    if loader not in FORMATS:
        raise ImageRefused(
            _("not an image we take as a master (%(loader)s); send JPEG, PNG, TIFF, WebP or "
              "JPEG 2000") % {"loader": loader.removesuffix("load")}
        )  # fmt: skip
    try:
        image = getattr(pyvips.Image, loader)(str(master), access="sequential", fail_on="truncated")
    except pyvips.Error as error:
        raise ImageRefused(_("damaged file: %(error)s") % _vips_reason(error)) from None
    pixels = image.width * image.height
    if pixels > max_pixels():
        raise ImageRefused(
            _("too many pixels: %(width)d × %(height)d is %(mp)d megapixels, more than the "
              "limit of %(limit)d megapixels (a decompression bomb?)")
            % {"width": image.width, "height": image.height, "mp": pixels // 1_000_000,
               "limit": max_pixels() // 1_000_000}
        )  # fmt: skip
    return image, loader


def _loader_for(path: Path) -> str | None:
    """libvips's loader for the bytes of ``path`` (sniffed, never the file name's suffix)."""
    found = pyvips.vips_lib.vips_foreign_find_load(str(path).encode())
    if found == pyvips.ffi.NULL:
        pyvips.vips_lib.vips_error_clear()
        return None
    nickname = pyvips.ffi.string(found).decode()  # e.g. VipsForeignLoadJpegFile
    return pyvips.nickname_find(pyvips.type_from_name(nickname))


def _vips_reason(error: pyvips.Error) -> dict[str, str]:
    """The useful line of a libvips error (its first line only says which call failed)."""
    lines = [line.strip() for line in str(error.detail or error.message).splitlines()]
    lines = [line for line in lines if line] or [str(error.message)]
    return {"error": lines[-1][:300]}


def _displayable(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB (or grey), no alpha: what a browser shows and a JPEG holds."""
    if image.hasalpha():
        image = image.flatten(background=[255] * (image.bands - 1))
    grey = image.interpretation in ("b-w", "grey16")
    image = image.colourspace("b-w" if grey else "srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    return image


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def dpi_of(image: pyvips.Image) -> int | None:
    """The stated resolution in dots per inch, or None when the file states none (libvips
    then reports its default, which says nothing about the specimen)."""
    stated = "resolution-unit" in image.get_fields() or all(
        abs(image.xres - default) > 0.01 for default in DEFAULT_RESOLUTIONS
    )
    if not stated or image.xres <= 0:
        return None
    return round(image.xres * MM_PER_INCH)


def exif_of(image: pyvips.Image) -> dict[str, str]:
    """A few camera tags as readable, JSON-safe strings (e.g. ``"FNumber": "f/2.8"``)."""
    fields = set(image.get_fields())
    found: dict[str, str] = {}
    for tag, field in EXIF_TAGS.items():
        if field not in fields:
            continue
        raw = image.get(field)
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        match = EXIF_VALUE.match(str(raw))
        text = (match["text"] if match else str(raw)).strip()
        text = "".join(ch for ch in text if ch.isprintable())[:200]
        if text:
            found[tag] = text
    return found


# -- colour ---------------------------------------------------------------------------------------


def dominant_colours(thumbnail: Path) -> list[dict[str, Any]]:
    """The thumbnail quantised to a small palette: its colours, most covering first.

    Each is ``{hex, share, hue, saturation, lightness}`` (hue 0–360, the others 0–1, HLS).
    Quantising the 256-pixel thumbnail is fast and stable, and needs no clustering.
    """
    with Image.open(thumbnail) as opened:
        rgb = opened.convert("RGB")
    quantised = rgb.quantize(colors=PALETTE_SIZE, method=Image.Quantize.MEDIANCUT)
    palette = quantised.getpalette() or []
    counts = quantised.getcolors(PALETTE_SIZE) or []
    total = sum(count for count, _index in counts) or 1
    colours = []
    for count, index in sorted(counts, reverse=True)[:COLOURS_KEPT]:
        red, green, blue = palette[index * 3 : index * 3 + 3]
        hue, lightness, saturation = colorsys.rgb_to_hls(red / 255, green / 255, blue / 255)
        colours.append(
            {
                "hex": f"#{red:02x}{green:02x}{blue:02x}",
                "share": round(count / total, 4),
                "hue": round(hue * 360, 1) % 360,
                "saturation": round(saturation, 3),
                "lightness": round(lightness, 3),
            }
        )
    return colours


def is_background(colour: dict[str, Any]) -> bool:
    """Paper white, grey card, black shadow: what surrounds a specimen, not the specimen."""
    return (
        colour["saturation"] < CHROMA_MIN_SATURATION
        or colour["lightness"] >= BACKGROUND_MIN_LIGHTNESS
        or colour["lightness"] <= BACKGROUND_MAX_LIGHTNESS
    )


def pick_dominant(colours: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The colour to browse the image by: the most covering colour that is not background,
    if it covers at least ``CHROMATIC_MIN_SHARE`` of the image (a herbarium sheet is mostly
    white paper; its plant is what people look for); else simply the most covering colour.
    """
    chromatic = [c for c in colours if not is_background(c) and c["share"] >= CHROMATIC_MIN_SHARE]
    if chromatic:
        return chromatic[0]
    return colours[0] if colours else None
