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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from itertools import islice
from typing import Any, cast

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Upper
from django.db.models.lookups import Exact

from elvis.statements import exist_each, sql_of

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


#: How each kind of search condition is written, from its parameters. A condition is named by
#: kind and parameters (``Condition``) so that a page's SQL can be compiled once per set of
#: kinds and run with each request's parameters (``collections_app/api/pages.py``).
_WRITERS: dict[str, Callable[..., Q | Exact]] = {
    "key_from": lambda key: Q(scientific_name_key__gte=key),
    "key_range": lambda key, following: Q(
        scientific_name_key__gte=key, scientific_name_key__lt=following
    ),
    "catalog_number": lambda term: _same_in_any_case("catalog_number", term),
    "family": lambda term: _same_in_any_case("family", term),
    "country": lambda term: _same_in_any_case("country", term),
    "type_status": lambda term: _same_in_any_case("type_status", term),
    # Also says "not blank" in the words of the partial index's condition, so it is used.
    "type_status_given": lambda: ~Q(type_status=""),
    # ``q`` matched none of its candidates: nothing is found, without reading a row.
    "nothing": lambda: Q(pk__in=[]),
}


@dataclass(frozen=True)
class Condition:
    """One term of a search: its kind (a key of ``_WRITERS``, or several joined by OR: the
    parts of ``q`` that match) and the parameters it compares with, in the SQL's order."""

    kinds: tuple[str, ...]
    params: tuple[str, ...]

    @classmethod
    def taking(cls, kinds: tuple[str, ...], params: Iterator[Any]) -> Condition:
        """The condition of ``kinds``, its parameters the next ones of ``params``."""
        return cls(kinds, tuple(islice(params, sum(_ARITY[kind] for kind in kinds))))

    def q(self) -> Q | Exact:
        params = iter(self.params)
        parts = [_WRITERS[kind](*islice(params, _ARITY[kind])) for kind in self.kinds]
        return parts[0] if len(parts) == 1 else reduce(operator.or_, (Q(p) for p in parts))


_ARITY = {kind: writer.__code__.co_argcount for kind, writer in _WRITERS.items()}


def _condition(kind: str, *params: str) -> Condition:
    return Condition((kind,), params)


def _key_prefix(term: str) -> Condition | None:
    """Keys starting with the folded ``term``, as a range (``LIKE`` would need a special index
    operator class on PostgreSQL, and is not read from an index at all by SQLite); None for a
    term that folds to nothing."""
    key = search_key(term)
    if not key:
        return None
    following = _successor(key)
    if following is None:
        return _condition("key_from", key)
    return _condition("key_range", key, following)


def _successor(key: str) -> str | None:
    """The first string after every string that starts with ``key`` (in code point order)."""
    last = ord(key[-1])
    if last == 0x10FFFF:
        return _successor(key[:-1]) if len(key) > 1 else None
    # Surrogates cannot be stored: the code point after U+D7FF that can is U+E000.
    return key[:-1] + chr(0xE000 if last == 0xD7FF else last + 1)


def search_conditions(
    *,
    catalog_number: str = "",
    scientific_name: str = "",
    family: str = "",
    type_status: str = "",
    country: str = "",
) -> list[Condition]:
    """The conditions of every non-blank term but ``q`` (see ``search_specimens``)."""
    prefix = _key_prefix(scientific_name) if scientific_name else None
    conditions = [prefix] if prefix else []
    for kind, term in (("catalog_number", catalog_number), ("family", family)):
        if term:
            conditions.append(_condition(kind, term))
    if country:
        conditions.append(_condition("country", country))
    if type_status:
        conditions += [_condition("type_status", type_status), _condition("type_status_given")]
    return conditions


def q_candidates(term: str) -> list[Condition]:
    """What ``q`` may mean: an exact catalogue number, the start of a scientific name, an
    exact family — each probed by ``q_condition``."""
    prefix = _key_prefix(term)
    candidates = [_condition("catalog_number", term), _condition("family", term)]
    return candidates[:1] + ([prefix] if prefix else []) + candidates[1:]


def q_condition(matching: list[Condition]) -> Condition:
    """The OR of the candidates of ``q`` that matched: usually one; none finds nothing."""
    if not matching:
        return _condition("nothing")
    return Condition(
        tuple(kind for part in matching for kind in part.kinds),
        tuple(param for part in matching for param in part.params),
    )


def _any_of(queryset: QuerySet, term: str) -> Q:
    """``q``: an exact catalogue number, the start of a scientific name, or an exact family.

    An OR of these cannot be read in name order from one index: the database would fetch every
    match of every part and sort them. A term almost always matches one part only, so each part
    is first probed (an indexed ``EXISTS``, stopping at the first row) and only the parts that
    match are kept: usually one, which stays a single ordered index range. The probes are
    asked together, in one statement (``exist_each``).
    """
    candidates = q_candidates(term)
    hits = exist_each(
        [sql_of(queryset.filter(part.q()).query.exists(), queryset.db) for part in candidates],
        using=queryset.db,
    )
    matching = [part for part, hit in zip(candidates, hits, strict=True) if hit]
    found = q_condition(matching).q()
    return Q(found) if len(matching) == 1 else cast(Q, found)  # an OR, or nothing


def order_specimens(queryset: QuerySet, ordering: str = DEFAULT_ORDERING) -> QuerySet:
    """``queryset`` in one of ``ORDERINGS`` (``-name`` for descending, every column alike)."""
    descending = ordering.startswith("-")
    columns = ORDERINGS.get(ordering.removeprefix("-"))
    if columns is None:
        raise ValueError(f"Unknown ordering {ordering!r}: use one of {', '.join(ORDERINGS)}.")
    sign = "-" if descending else ""
    return with_order_columns(queryset, columns).order_by(*(sign + c for c in columns))


def with_order_columns(queryset: QuerySet, order: Iterable[str]) -> QuerySet:
    """``queryset`` with the computed columns among ``order`` (``family_upper``…), which an
    ordering's cursor and its ``ORDER BY`` name; ``-`` first is allowed."""
    names = (name.lstrip("-") for name in order)
    return queryset.annotate(**{name: _UPPER[name] for name in names if name in _UPPER})


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

    With ``q`` set, one statement of up to three indexed probes runs now (see ``_any_of``);
    otherwise nothing runs until the queryset is read.
    """
    conditions = [
        condition.q()
        for condition in search_conditions(
            catalog_number=catalog_number,
            scientific_name=scientific_name,
            family=family,
            type_status=type_status,
            country=country,
        )
    ]
    if q:
        conditions.append(_any_of(queryset.filter(*conditions), q))
    return order_specimens(queryset.filter(*conditions), ordering)
