"""Country codes as django-countries knows them: ISO 3166-1 alpha-2, plus Kosovo (``XK``).

``XK`` is user-assigned, not official, but GBIF and GRSciColl use it; ``COUNTRIES_OVERRIDE``
in the settings adds it. Imports and the API check codes here, so that ``UK`` or ``XX`` is
refused instead of stored; names (translated) come from ``Country(code).name``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django_countries import countries


def is_country_code(value: str) -> bool:
    """Whether ``value`` is a known two-letter code, exactly (``GBR`` or ``gb`` are not)."""
    return len(value) == 2 and value.isupper() and value in countries


#: The shape (and the pattern the OpenAPI schema shows); ``validate_country_code`` then asks
#: whether the code exists.
country_code_shape = RegexValidator(
    r"^[A-Z]{2}$", _("Use the two-letter ISO 3166-1 code, e.g. GB or DE.")
)


def validate_country_code(value: str) -> None:
    """A well-shaped code that names no country (``XX``, ``UK``) is refused too."""
    if len(value) == 2 and value.isupper() and not is_country_code(value):
        raise ValidationError(
            _("Not an ISO 3166-1 alpha-2 country code: %(value)s (e.g. GB or DE)."),
            code="invalid_country",
            params={"value": value},
        )
