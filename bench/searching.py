"""Benchmark 2: each search shape through ``search_specimens``, against hand-written SQL.

Terms are drawn from rows picked at random in the table (a seeded generator, so runs compare);
names are typed as people type them: cut anywhere after three letters, in lower or upper case,
sometimes with accents that are not there ("CÄRABUS"). Each query fetches one page (50 rows)
in the search's order. The Django side includes building the query and the model instances;
the bare side is the SQL a person would write for the same page, run with psycopg, rows as
tuples. For ``q`` (the picker), the bare SQL is the one kind of match the term is known to be,
so the ratio shows what the search's probes cost.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from collections_app.models import Specimen
from collections_app.search import search_key, search_specimens

from .timing import Latencies

PAGE = 50
TABLE = "collections_app_specimen"
ACCENTED = str.maketrans("aeiou", "äéìôü")


@dataclass(frozen=True)
class Row:
    collection_id: int
    catalog_number: str
    scientific_name: str
    family: str
    type_status: str
    country: str


Terms = dict[str, str | int]
#: A shape makes, from a sampled row, the search terms and the terms of its bare SQL.
Shape = Callable[[Row, random.Random], tuple[Terms, Terms]]


def _typed(name: str, rng: random.Random) -> str:
    """The start of ``name`` as a person might type it."""
    prefix = name[: rng.randint(min(3, len(name)), len(name))]
    style = rng.randrange(4)
    if style == 0:
        return prefix.lower()
    if style == 1:
        return prefix.upper()
    if style == 2:
        return prefix.translate(ACCENTED).upper()
    return prefix


def _same(terms: Callable[[Row, random.Random], Terms]) -> Shape:
    def shape(row: Row, rng: random.Random) -> tuple[Terms, Terms]:
        made = terms(row, rng)
        return made, made

    return shape


def _picker(row: Row, rng: random.Random) -> tuple[Terms, Terms]:
    if rng.random() < 0.5:
        number = row.catalog_number.lower()
        return {"q": number}, {"catalog_number": number}
    name = _typed(row.scientific_name, rng)
    return {"q": name}, {"scientific_name": name}


#: name -> (shape, whether it draws from rows that have a type status)
SHAPES: dict[str, tuple[Shape, bool]] = {
    "catalogue number": (_same(lambda r, g: {"catalog_number": r.catalog_number}), False),
    "name prefix": (_same(lambda r, g: {"scientific_name": _typed(r.scientific_name, g)}), False),
    "family": (_same(lambda r, g: {"family": r.family.lower()}), False),
    "type status": (_same(lambda r, g: {"type_status": r.type_status.lower()}), True),
    "country": (_same(lambda r, g: {"country": r.country}), False),
    "family + name prefix": (
        _same(lambda r, g: {"family": r.family, "scientific_name": _typed(r.scientific_name, g)}),
        False,
    ),
    "family + country": (_same(lambda r, g: {"family": r.family, "country": r.country}), False),
    "family + type status": (
        _same(lambda r, g: {"family": r.family, "type_status": r.type_status}),
        True,
    ),
    "country + type status": (
        _same(lambda r, g: {"country": r.country, "type_status": r.type_status}),
        True,
    ),
    "collection + name prefix": (
        _same(
            lambda r, g: {
                "collection": r.collection_id,
                "scientific_name": _typed(r.scientific_name, g),
            }
        ),
        False,
    ),
    "picker q (number or name)": (_picker, False),
}


@dataclass(frozen=True)
class ShapeResult:
    name: str
    django: Latencies
    bare: Latencies
    mean_rows: float


def sample_rows(conninfo: str, count: int, rng: random.Random, *, typed: bool) -> list[Row]:
    """``count`` rows picked at random (by id, over the whole id range)."""
    condition = "type_status <> '' AND " if typed else ""
    with psycopg.connect(conninfo) as connection:
        low, high = connection.execute(f"SELECT min(id), max(id) FROM {TABLE}").fetchone()
        rows = []
        while len(rows) < count:
            found = connection.execute(
                f"SELECT collection_id, catalog_number, scientific_name, family, type_status, "
                f"country FROM {TABLE} WHERE {condition}id >= %s ORDER BY id LIMIT 1",
                [rng.randint(low, high)],
            ).fetchone()
            if found:
                rows.append(Row(*found))
    return rows


def bare_sql(terms: Terms) -> tuple[str, list]:
    """The page as a person would write it in SQL for these terms."""
    clauses: list[str] = []
    params: list = []
    for name, value in terms.items():
        if name == "collection":
            clauses.append("collection_id = %s")
        elif name == "scientific_name":
            clauses.append("scientific_name_key LIKE %s")
            value = _like_escape(search_key(str(value))) + "%"
        elif name == "type_status":
            clauses.append("upper(type_status) = upper(%s) AND type_status <> ''")
        else:
            clauses.append(f"upper({name}) = upper(%s)")
        params.append(value)
    where = " AND ".join(clauses) or "true"
    sql = f"SELECT * FROM {TABLE} WHERE {where} ORDER BY scientific_name_key, id LIMIT {PAGE}"
    return sql, params


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _django_page(terms: Terms) -> int:
    specimens = Specimen.objects.all()
    if "collection" in terms:
        specimens = specimens.filter(collection_id=terms["collection"])
    text = {name: str(value) for name, value in terms.items() if name != "collection"}
    return len(list(search_specimens(specimens, **text)[:PAGE]))


def run_shapes(conninfo: str, queries: int, seed: int) -> list[ShapeResult]:
    """Every shape over ``queries`` random terms (after a short untimed warm-up)."""
    rng = random.Random(seed)
    rows = sample_rows(conninfo, queries, rng, typed=False)
    typed_rows = sample_rows(conninfo, queries, rng, typed=True)
    results = []
    with psycopg.connect(conninfo, autocommit=True) as bare:
        for name, (shape, typed) in SHAPES.items():
            cases = [shape(row, rng) for row in (typed_rows if typed else rows)]
            for terms, plain in cases[:20]:
                _django_page(terms)
                bare.execute(*bare_sql(plain)).fetchall()
            django, raw, found = Latencies(), Latencies(), 0
            for terms, plain in cases:
                started = time.perf_counter()
                found += _django_page(terms)
                django.add(time.perf_counter() - started)
                started = time.perf_counter()
                bare.execute(*bare_sql(plain)).fetchall()
                raw.add(time.perf_counter() - started)
            results.append(ShapeResult(name, django, raw, found / len(cases)))
    return results
