"""Cell and field converters shared by the TSV and JSON importers.

Each takes what the source holds and returns the value to store, ``None`` for "the source says
nothing" (an empty cell never blanks a stored value), or raises ``ValueError`` with a reason.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from collections_app.countries import is_country_code

_GRID_ID = re.compile(r"grid\.\d+\.[0-9a-f]+", re.IGNORECASE)
_ROR_ID = re.compile(r"(?:https?://ror\.org/)?(0[a-z0-9]{6}\d{2})/?", re.IGNORECASE)
_COUNT = re.compile(r"\d+|\d{1,3}(?:([,.\u00a0 ])\d{3})(?:\1\d{3})*")
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0"})


def text(value: object) -> str | None:
    if value is None:
        return None
    cleaned = str(value).strip()
    return cleaned or None


def count(value: object) -> int | None:
    """A specimen count, allowing thousands separators (``74,460,377``); never negative."""
    if isinstance(value, bool):
        raise ValueError(_("expected a whole number, got %(value)r") % {"value": value})
    if isinstance(value, int):
        if value < 0:
            raise ValueError(_("expected a whole number, got %(value)r") % {"value": value})
        return value
    cleaned = text(value)
    if cleaned is None:
        return None
    if not _COUNT.fullmatch(cleaned):
        raise ValueError(_("expected a whole number, got %(value)r") % {"value": cleaned})
    return int(re.sub(r"\D", "", cleaned))


def yes_no(value: object) -> bool | None:
    cleaned = text(value)
    if cleaned is None:
        return None
    if cleaned.lower() in _YES:
        return True
    if cleaned.lower() in _NO:
        return False
    raise ValueError(_("expected yes or no, got %(value)r") % {"value": cleaned})


def grid_id(value: object) -> str | None:
    """The bare GRID id (``grid.35937.3b``), from a bare id or a ``grid.ac`` URL."""
    cleaned = text(value)
    if cleaned is None:
        return None
    match = _GRID_ID.search(cleaned)
    if match is None:
        raise ValueError(_("not a GRID id: %(value)r") % {"value": cleaned})
    return match.group(0).lower()


def ror_id(value: object) -> str | None:
    """The canonical ROR URL (``https://ror.org/039zvsn29``), the form ROR asks people to store."""
    cleaned = text(value)
    if cleaned is None:
        return None
    match = _ROR_ID.fullmatch(cleaned)
    if match is None:
        raise ValueError(_("not a ROR id: %(value)r") % {"value": cleaned})
    return f"https://ror.org/{match.group(1).lower()}"


def country(value: object) -> str | None:
    cleaned = text(value)
    if cleaned is None:
        return None
    code = cleaned.upper()
    if not is_country_code(code):
        raise ValueError(
            _("not an ISO 3166-1 alpha-2 country code: %(value)r") % {"value": cleaned}
        )
    return code


def shortened(value: str | None, limit: int) -> str | None:
    """Fit free text into a bounded field at a word boundary, marking the cut with an ellipsis."""
    if value is None or len(value) <= limit:
        return value
    cut = value[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;") + "…"
