"""One occurrence row to the values of one specimen, or to the reason it is rejected.

Values are stripped and never truncated: a value longer than its column, a missing catalogue
number, an institution or collection code that contradicts ``--collection``, an eventDate that
is not ISO 8601, or text the declared encoding could not decode rejects the row, with a reason
the publisher can act on. The country is the ISO code (``countryCode``) when the row has one,
else the ``country`` text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from operator import gt, itemgetter
from typing import TYPE_CHECKING, NamedTuple, cast

from django.db.models import Field
from django.utils.translation import gettext_lazy as _

from collections_app.models import IMPORTED_FIELDS, Collection, Specimen
from collections_app.search import search_key

from .terms import DWC

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The core terms read, in the order ``RowMapper`` unpacks them.
TERMS: tuple[str, ...] = tuple(
    DWC + name
    for name in (
        "catalogNumber",
        "occurrenceID",
        "scientificName",
        "family",
        "typeStatus",
        "countryCode",
        "country",
        "locality",
        "eventDate",
        "preparations",
        "institutionCode",
        "collectionCode",
    )
)
CATALOG_NUMBER = TERMS[0]

# The term each imported field comes from (for reasons; the search key is derived from the name).
_TERM_OF = {
    "occurrence_id": "occurrenceID",
    "scientific_name": "scientificName",
    "scientific_name_key": "",
    "family": "family",
    "type_status": "typeStatus",
    "country": "country",
    "locality": "locality",
    "event_date": "eventDate",
    "preparations": "preparations",
}
# The specimen fields an import writes besides the key, in the order of ``Record.values``.
FIELDS: tuple[tuple[str, str], ...] = tuple((name, _TERM_OF[name]) for name in IMPORTED_FIELDS)
FIELD_NAMES: tuple[str, ...] = tuple(name for name, _term in FIELDS)

_DATE = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
_TIME = r"(?:T\d{2}(?::\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
# A date or date-time, or an interval of two; the end may be shortened ("2007-11-13/15").
_EVENT_DATE = re.compile(rf"({_DATE}){_TIME}(?:/(?:({_DATE}){_TIME}|\d{{2}}(?:-\d{{2}})?))?")


class Record(NamedTuple):
    """A row that maps to a specimen: ``values`` follow ``FIELD_NAMES``."""

    line: int
    catalog_number: str
    values: tuple[str, ...]


class Rejection(NamedTuple):
    line: int
    catalog_number: str
    reason: str


def duplicate(line: int, catalog_number: str, first_line: int) -> Rejection:
    """A later row with a catalogue number seen before in the archive: the first one wins."""
    return Rejection(
        line,
        catalog_number,
        str(
            _("duplicate in archive: catalogNumber already on line %(line)d") % {"line": first_line}
        ),
    )


def _max_length(name: str) -> int | None:
    """The longest value of a specimen column (``None``: unbounded)."""
    return cast("Field", Specimen._meta.get_field(name)).max_length


class RowMapper:
    """Maps the rows of one archive (values of ``TERMS``) into one collection."""

    def __init__(self, collection: Collection, *, check_codes: bool, encoding: str) -> None:
        self.codes = tuple(
            (term, code, code.casefold())
            for term, code in (
                ("institutionCode", collection.institution.code),
                ("collectionCode", collection.code),
            )
        )
        # The (institutionCode, collectionCode) pairs already found to match: an archive repeats
        # one pair on every row, so each is checked once (a bounded set: pairs are few).
        self.matching_codes: set[tuple[str, str]] = set()
        self.check_codes = check_codes
        self.encoding = encoding
        self.key_length = cast(int, _max_length("catalog_number"))
        self.limits = [
            (index, term, limit)
            for index, (name, term) in enumerate(FIELDS)
            if term and (limit := _max_length(name))
        ]
        # The limited values and their limits, compared in one C-level pass per row.
        self.limited = itemgetter(*(index for index, _term, _limit in self.limits))
        self.limit_values = tuple(limit for _index, _term, limit in self.limits)

    def __call__(self, line: int, raw: Sequence[str]) -> Record | Rejection:
        (
            catalog,
            occurrence_id,
            name,
            family,
            type_status,
            country_code,
            country,
            locality,
            event_date,
            preparations,
            institution_code,
            collection_code,
        ) = map(str.strip, raw)

        def reject(reason: StrOrPromise) -> Rejection:
            return Rejection(line, catalog, str(reason))

        if not catalog:
            return reject(_("catalogNumber is missing"))
        if len(catalog) > self.key_length:
            return reject(self._too_long("catalogNumber", self.key_length))
        # Two scans for one character each: a regular expression's class took six times as
        # long on text beyond Latin-1, as most rows hold (bench/README.md).
        joined = "".join(raw)
        if "\x00" in joined:
            return reject(_("contains a NUL character"))
        if "\ufffd" in joined:
            return reject(
                _("contains bytes that are not valid %(encoding)s (the encoding meta.xml declares)")
                % {"encoding": self.encoding}
            )
        if self.check_codes and (institution_code, collection_code) not in self.matching_codes:
            if mismatch := self._code_mismatch(institution_code, collection_code):
                return reject(mismatch)
            if len(self.matching_codes) < 64:
                self.matching_codes.add((institution_code, collection_code))
        if event_date and not _is_iso_event_date(event_date):
            return reject(
                _("eventDate %(value)s is not an ISO 8601 date or interval")
                % {"value": repr(event_date)}
            )
        values = (
            occurrence_id,
            name,
            _search_key(name),
            family,
            type_status,
            country_code.upper() or country,
            locality,
            event_date,
            preparations,
        )
        if any(map(gt, map(len, self.limited(values)), self.limit_values)):
            term, limit = next(
                (term, limit) for index, term, limit in self.limits if len(values[index]) > limit
            )
            return reject(self._too_long(term, limit))
        return Record(line, catalog, values)

    def _code_mismatch(self, institution_code: str, collection_code: str) -> str | None:
        for (term, expected, folded), given in zip(
            self.codes, (institution_code, collection_code), strict=True
        ):
            if given and given.casefold() != folded:
                return str(
                    _(
                        "%(term)s %(given)s is not %(expected)s of --collection "
                        "(use --ignore-codes to import such rows anyway)"
                    )
                    % {"term": term, "given": repr(given), "expected": repr(expected)}
                )
        return None

    @staticmethod
    def _too_long(term: str, limit: int) -> str:
        return str(
            _("%(term)s is longer than %(limit)d characters") % {"term": term, "limit": limit}
        )


# Names repeat across a collection's specimens: remember the recent ones (a bounded cache).
_search_key = lru_cache(maxsize=4096)(search_key)


def _is_iso_event_date(value: str) -> bool:
    """ISO 8601 shape, and real calendar dates (no month 13, no 30 February).

    Most dates are a day (YYYY-MM-DD in ASCII): ``fromisoformat`` checks that shape's digits
    and its calendar at once, in a quarter of the general path's time."""
    if len(value) == 10 and value[4] == value[7] == "-" and value.isascii():
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return True
    match = _EVENT_DATE.fullmatch(value)
    return match is not None and all(map(_is_real_date, filter(None, match.groups())))


# A year or year-month completed to a whole date, by its length (4 or 7; 10 needs nothing).
_COMPLETION = {4: "-01-01", 7: "-01", 10: ""}


def _is_real_date(part: str) -> bool:
    """``part`` (YYYY, YYYY-MM or YYYY-MM-DD) is a date of the calendar: parsed in C by
    ``fromisoformat`` (the mapping's hottest check), or, for digits other than ASCII's that
    the shape admits and it refuses, by ``int`` as before."""
    try:
        date.fromisoformat(part + _COMPLETION[len(part)])
    except ValueError:
        if part.isascii():
            return False
        year, month, day = [*part.split("-"), "01", "01"][:3]
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            return False
    return True
