"""One occurrence row to the values of one specimen, or to the reason it is rejected.

Values are stripped and never truncated: a value longer than its column, a missing catalogue
number, an institution or collection code that contradicts ``--collection``, an eventDate that
is not ISO 8601, or text the declared encoding could not decode rejects the row, with a reason
the publisher can act on. The country is the ISO code (``countryCode``) when the row has one,
else the ``country`` text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from operator import gt, itemgetter
from typing import NamedTuple, cast

from django.db.models import Field
from django.utils.translation import gettext_lazy as _

from collections_app.models import IMPORTED_FIELDS, Collection, Specimen
from collections_app.search import search_key

from .terms import DWC

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


@dataclass
class MappedBatch:
    """One batch of an archive, mapped: its records column by column (an append to each of
    three lists costs a fraction of a named tuple made per row), its rejections, and the rows
    it was made of (``rows``, up to line ``last_line``)."""

    lines: list[int] = field(default_factory=list)
    catalog_numbers: list[str] = field(default_factory=list)
    values: list[tuple[str, ...]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    #: The line of each catalogue number accepted so far: a repeat is a duplicate.
    first_lines: dict[str, int] = field(default_factory=dict, repr=False)
    rows: int = 0
    last_line: int = 0

    def __len__(self) -> int:
        """Its records."""
        return len(self.lines)

    def records(self) -> Iterator[Record]:
        return map(Record._make, zip(self.lines, self.catalog_numbers, self.values, strict=True))


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

    def map_rows(self, rows: Iterable[tuple[int, Sequence[str]]], batch: MappedBatch) -> None:
        """Map ``rows`` (line, raw values of ``TERMS``) into ``batch``: its records, or its
        rejections.

        This loop runs for every row of an archive, a few microseconds each, so its checks are
        inline and in order, each rejecting the row and moving on (``continue``), and what it
        reads is bound to locals first. A catalogue number accepted before in the batch
        rejects the row as a duplicate (the loader rejects one of an earlier batch).
        """
        lines, numbers, accepted = batch.lines, batch.catalog_numbers, batch.values
        rejections, first_lines = batch.rejections, batch.first_lines
        check_codes, matching_codes = self.check_codes, self.matching_codes
        key_length, limited, limit_values = self.key_length, self.limited, self.limit_values
        strip, fromisoformat = str.strip, date.fromisoformat
        count = 0
        for line, raw in rows:
            count += 1
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
            ) = map(strip, raw)
            if not catalog:
                rejections.append(Rejection(line, catalog, str(_("catalogNumber is missing"))))
                continue
            if len(catalog) > key_length:
                rejections.append(
                    Rejection(line, catalog, self._too_long("catalogNumber", key_length))
                )
                continue
            # Two scans for one character each: a regular expression's class took six times
            # as long on text beyond Latin-1, as most rows hold (bench/README.md).
            joined = "".join(raw)
            if "\x00" in joined or "\ufffd" in joined:
                rejections.append(Rejection(line, catalog, self._damage(joined)))
                continue
            if check_codes and (institution_code, collection_code) not in matching_codes:
                if mismatch := self._code_mismatch(institution_code, collection_code):
                    rejections.append(Rejection(line, catalog, mismatch))
                    continue
                if len(matching_codes) < 64:
                    matching_codes.add((institution_code, collection_code))
            if event_date:
                # Most dates are a day in ASCII: ``fromisoformat`` checks that shape's digits
                # and its calendar at once, in a quarter of the general check's time.
                if (
                    len(event_date) == 10
                    and event_date[4] == event_date[7] == "-"
                    and event_date.isascii()
                ):
                    try:
                        valid = fromisoformat(event_date) is not None
                    except ValueError:
                        valid = False
                else:
                    valid = _is_iso_event_date(event_date)
                if not valid:
                    rejections.append(Rejection(line, catalog, _not_a_date(event_date)))
                    continue
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
            if any(map(gt, map(len, limited(values)), limit_values)):
                term, limit = next(
                    (term, limit)
                    for index, term, limit in self.limits
                    if len(values[index]) > limit
                )
                rejections.append(Rejection(line, catalog, self._too_long(term, limit)))
                continue
            if (first := first_lines.setdefault(catalog, line)) != line:
                rejections.append(duplicate(line, catalog, first))
                continue
            lines.append(line)
            numbers.append(catalog)
            accepted.append(values)
        if count:
            batch.rows += count
            batch.last_line = line

    def _damage(self, joined: str) -> str:
        """Why the row whose values join to ``joined`` (holding a NUL or U+FFFD) is refused."""
        if "\x00" in joined:
            return str(_("contains a NUL character"))
        return str(
            _("contains bytes that are not valid %(encoding)s (the encoding meta.xml declares)")
            % {"encoding": self.encoding}
        )

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


def _not_a_date(value: str) -> str:
    return str(
        _("eventDate %(value)s is not an ISO 8601 date or interval") % {"value": repr(value)}
    )


def _is_iso_event_date(value: str) -> bool:
    """ISO 8601 shape, and real calendar dates (no month 13, no 30 February)."""
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
