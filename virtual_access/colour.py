"""Colour order and colour bands of processed captures, for the delivered set's pages.

A capture's ``hue`` (degrees, 0–360) and ``lightness`` are those of its dominant colour, as the
processing step stores them. An image with no hue, or whose dominant colour is barely
saturated, is *achromatic* (grey, black, white): it has no place on the hue circle, so it sorts
after every coloured image and has its own band.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

#: Below this saturation (0–1) the dominant colour reads as grey.
GREY_SATURATION = 0.1

#: Hue bands: (slug, label, from degree inclusive, to degree exclusive); red wraps round 0.
BANDS: tuple[tuple[str, Any, float, float], ...] = (
    ("red", _("Red"), 345.0, 15.0),
    ("orange", _("Orange"), 15.0, 45.0),
    ("yellow", _("Yellow"), 45.0, 70.0),
    ("green", _("Green"), 70.0, 165.0),
    ("cyan", _("Cyan"), 165.0, 195.0),
    ("blue", _("Blue"), 195.0, 255.0),
    ("purple", _("Purple"), 255.0, 290.0),
    ("pink", _("Pink"), 290.0, 345.0),
)
GREY = "grey"
BAND_CHOICES: list[tuple[str, Any]] = [(slug, label) for slug, label, _lo, _hi in BANDS] + [
    (GREY, _("Grey, black or white"))
]


def _saturation(capture: Any) -> float | None:
    colours = capture.colours or []
    if not colours or not isinstance(colours[0], dict):
        return None
    value = colours[0].get("saturation")
    if not isinstance(value, int | float):
        return None
    return value / 100 if value > 1 else float(value)  # tolerate a 0–100 scale


def is_achromatic(capture: Any) -> bool:
    if capture.hue is None:
        return True
    saturation = _saturation(capture)
    return saturation is not None and saturation < GREY_SATURATION


def band(capture: Any) -> str:
    """The slug of the capture's colour band."""
    if is_achromatic(capture):
        return GREY
    hue = capture.hue % 360
    for slug, _label, low, high in BANDS:
        if (low <= hue < high) if low < high else (hue >= low or hue < high):
            return slug
    return GREY  # unreachable: the bands cover the circle


def sort_key(capture: Any) -> tuple:
    """Hue (red first), then lightness; achromatic images last (by lightness, dark to light)."""
    lightness = capture.lightness if capture.lightness is not None else 0.0
    if is_achromatic(capture):
        return (1, 0.0, lightness, capture.pk)
    # Rotated so that the red band, which wraps round 0°, is one run at the start.
    return (0, (capture.hue - BANDS[0][2]) % 360, lightness, capture.pk)
