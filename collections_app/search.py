"""Specimen search: the one query behind the API filters, the admin and the specimen picker.

It must stay fast at millions of rows on PostgreSQL without extensions, so every term is a
comparison an index answers, and every ordering ends in the id and is the column order of an
index: a page is then one short index range read, whatever the filters and however deep.

- The scientific name is matched on ``Specimen.scientific_name_key`` (``search_key`` of the
  name, kept by the model): a prefix of the key is a range of the key's index, so "carabus" and
  "CÄRABUS" find "Carabus" from the index. The key column compares byte by byte (collation "C"
  on PostgreSQL, SQLite's default), which is what lets one index serve both the range and the
  order by name.
- Catalogue number, family, type status and country are whole values in any case, compared as
  ``UPPER(column) = UPPER(term)`` to match the expression indexes of ``Specimen``.

Callers scope the queryset themselves (visibility, the collections of a loan) and pass the
terms they have; see ``search_specimens``.
"""

from __future__ import annotations

import operator
import unicodedata
from functools import reduce

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Upper
from django.db.models.lookups import Exact

#: Longest stored key; a term is cut the same way, so a very long prefix still matches.
KEY_LENGTH = 255

#: Orderings the search offers, by public name. Each is unique (it ends in the id) and is the
#: column order of an index of ``Specimen``, combined with the filters it is read with.
ORDERINGS: dict[str, tuple[str, ...]] = {
    "scientific_name": ("scientific_name_key", "id"),
    "catalog_number": ("catalog_number_upper", "id"),
    "family": ("family_upper", "scientific_name_key", "id"),
    "updated_at": ("updated_at", "id"),
}
DEFAULT_ORDERING = "scientific_name"

#: Ordering values computed from a column, named so that a cursor can carry them.
_UPPER = {
    "catalog_number_upper": Upper("catalog_number"),
    "family_upper": Upper("family"),
}


def search_key(text: str) -> str:
    """``text`` folded for matching: case-folded, accents stripped, whitespace collapsed.

    "  CÄRABUS   auratus" gives "carabus auratus". ``Specimen.save`` and the bulk writes of its
    manager store it as ``scientific_name_key``; importers that write rows another way must
    store it too. Searched terms are folded the same way, so matching is a plain comparison.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())[:KEY_LENGTH]


def _same_in_any_case(column: str, term: str) -> Exact:
    # UPPER on both sides, so the database folds both the same way (Python and PostgreSQL
    # disagree on e.g. "ß"); the folded term is a constant, so the expression index applies.
    return Exact(Upper(column), Upper(Value(term)))


def _key_prefix(term: str) -> Q:
    """Keys starting with the folded ``term``, as a range (``LIKE`` would need a special index
    operator class on PostgreSQL, and is not read from an index at all by SQLite)."""
    key = search_key(term)
    if not key:
        return Q()
    following = _successor(key)
    if following is None:
        return Q(scientific_name_key__gte=key)
    return Q(scientific_name_key__gte=key, scientific_name_key__lt=following)


def _successor(key: str) -> str | None:
    """The first string after every string that starts with ``key`` (in code point order)."""
    last = ord(key[-1])
    if last == 0x10FFFF:
        return _successor(key[:-1]) if len(key) > 1 else None
    # Surrogates cannot be stored: the code point after U+D7FF that can is U+E000.
    return key[:-1] + chr(0xE000 if last == 0xD7FF else last + 1)


def _any_of(queryset: QuerySet, term: str) -> Q:
    """``q``: an exact catalogue number, the start of a scientific name, or an exact family.

    An OR of these cannot be read in name order from one index: the database would fetch every
    match of every part and sort them. A term almost always matches one part only, so each part
    is first probed (an indexed ``EXISTS``, stopping at the first row) and only the parts that
    match are kept: usually one, which stays a single ordered index range.
    """
    parts = [
        _same_in_any_case("catalog_number", term),
        _key_prefix(term),
        _same_in_any_case("family", term),
    ]
    matching = [part for part in parts if part and queryset.filter(part).exists()]
    if not matching:
        return Q(pk__in=[])
    return reduce(operator.or_, (Q(part) for part in matching))


def order_specimens(queryset: QuerySet, ordering: str = DEFAULT_ORDERING) -> QuerySet:
    """``queryset`` in one of ``ORDERINGS`` (``-name`` for descending, every column alike)."""
    descending = ordering.startswith("-")
    columns = ORDERINGS.get(ordering.removeprefix("-"))
    if columns is None:
        raise ValueError(f"Unknown ordering {ordering!r}: use one of {', '.join(ORDERINGS)}.")
    computed = {column: _UPPER[column] for column in columns if column in _UPPER}
    sign = "-" if descending else ""
    return queryset.annotate(**computed).order_by(*(sign + column for column in columns))


def search_specimens(
    queryset: QuerySet,
    *,
    q: str = "",
    catalog_number: str = "",
    scientific_name: str = "",
    family: str = "",
    type_status: str = "",
    country: str = "",
    ordering: str = DEFAULT_ORDERING,
) -> QuerySet:
    """The specimens of ``queryset`` that match every non-blank term, in ``ordering``.

    - ``q``: an exact catalogue number, the start of a scientific name, or a family (any case)
      — what a person types into a specimen picker;
    - ``catalog_number``: the exact catalogue number, in any case;
    - ``scientific_name``: the start of the name, in any case and with or without accents;
    - ``family``, ``type_status``, ``country``: the whole value as recorded, in any case;
    - ``ordering``: a key of ``ORDERINGS``, ``-`` first for descending.

    Example (the loan form's picker)::

        search_specimens(Specimen.objects.filter(collection__in=chosen), q="carab")[:20]

    With ``q`` set, up to three indexed probes run now (see ``_any_of``); otherwise nothing
    runs until the queryset is read.
    """
    conditions: list[Q | Exact] = [_key_prefix(scientific_name)] if scientific_name else []
    if catalog_number:
        conditions.append(_same_in_any_case("catalog_number", catalog_number))
    if family:
        conditions.append(_same_in_any_case("family", family))
    if country:
        conditions.append(_same_in_any_case("country", country))
    if type_status:
        # Also says "not blank" in the words of the partial index's condition, so it is used.
        conditions += [_same_in_any_case("type_status", type_status), ~Q(type_status="")]
    if q:
        conditions.append(_any_of(queryset.filter(*conditions), q))
    return order_specimens(queryset.filter(*conditions), ordering)
