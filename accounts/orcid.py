"""ORCID iD validation: the 0000-0000-0000-000X format and its ISO 7064 mod 11-2 check digit."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
_URL_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/")
# Shown in help texts. Valid, and deliberately not any demo account's: a researcher who copies
# it must neither collide with nor reveal a seeded user.
ORCID_EXAMPLE = "0000-0003-1415-9269"


def orcid_check_digit(base_digits: str) -> str:
    """The ISO 7064 11,2 check character for the first 15 digits of an ORCID iD."""
    total = 0
    for ch in base_digits:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalize_orcid(value: str) -> str:
    """Accept the bare iD or its orcid.org URL, upper-case the check character."""
    value = value.strip()
    for prefix in _URL_PREFIXES:
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
            break
    return value.upper()


def validate_orcid(value: str) -> None:
    iid = normalize_orcid(value)
    if not ORCID_RE.match(iid):
        raise ValidationError(
            _("Enter an ORCID iD as 0000-0000-0000-0000 (the last character may be X)."),
            code="orcid_format",
        )
    digits = iid.replace("-", "")
    if orcid_check_digit(digits[:15]) != digits[15]:
        raise ValidationError(
            _("This ORCID iD's check digit is wrong: please check for a typing error."),
            code="orcid_checksum",
        )
