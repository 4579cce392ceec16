"""Each search shape is read from the index made for it, in the order it is shown, so a page is
one short range read at any depth (the property that keeps search fast at millions of rows).

The PostgreSQL pass of CI reads PostgreSQL's EXPLAIN, with sequential and bitmap scans disabled
so that a small table answers as a big one would (there, every shape matches far more rows than
a page, and reading the index in order beats collecting and sorting the matches); the SQLite
pass reads EXPLAIN QUERY PLAN. Both assert the same two things: which index is used, and that
no separate sort follows it.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.db.models import QuerySet

from collections_app.models import Specimen
from collections_app.search import search_specimens
from elvis.api.pagination import after_position

pytestmark = pytest.mark.django_db

GENERA = ["Carabus", "Pterostichus", "Apis", "Bombus", "Quercus", "Épeira", "Lucanus", "Helix"]
EPITHETS = ["auratus", "niger", "mellifera", "terrestris", "robur", "diademata", "cervus"]
FAMILIES = ["Carabidae", "Apidae", "Fagaceae", "Araneidae", "Lucanidae", "Helicidae"]
COUNTRIES = ["FR", "DE", "GB", "ES", "IT", "SE", "PL", "NL"]


@pytest.fixture
def catalogue(collection_a, collection_b) -> None:
    """A few thousand varied specimens and fresh planner statistics."""
    names = itertools.cycle(f"{g} {e}" for g in GENERA for e in EPITHETS)
    Specimen.objects.bulk_create(
        Specimen(
            collection=collection_a if n % 4 else collection_b,
            catalog_number=f"X-{n:05}",
            scientific_name=next(names),
            family=FAMILIES[n % len(FAMILIES)],
            country=COUNTRIES[n % len(COUNTRIES)],
            type_status="Holotype" if n % 50 == 0 else "",
        )
        for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Specimen._meta.db_table}")


def _plan(queryset: QuerySet) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # For the rest of the test's transaction only.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
    return queryset.explain()


def _sorts_separately(plan: str) -> bool:
    if connection.vendor == "postgresql":
        nodes = (line.lstrip(" ->") for line in plan.splitlines())
        return any(node.startswith(("Sort ", "Incremental Sort ")) for node in nodes)
    return "USE TEMP B-TREE FOR ORDER BY" in plan


@pytest.mark.parametrize(
    ("terms", "index"),
    [
        ({"scientific_name": "CÄRAB"}, "specimen_name_key_idx"),
        ({"family": "carabidae"}, "specimen_family_name_idx"),
        ({"family": "Carabidae", "scientific_name": "carabus a"}, "specimen_family_name_idx"),
        ({"country": "fr"}, "specimen_country_name_idx"),
        ({"country": "fr", "scientific_name": "apis"}, "specimen_country_name_idx"),
        ({"country": "fr", "family": "Carabidae"}, "specimen_family_country_idx"),
        ({"type_status": "holotype"}, "specimen_type_name_idx"),
        ({"type_status": "holotype", "family": "carabidae"}, "specimen_type_family_idx"),
        ({"type_status": "HOLOTYPE", "country": "fr"}, "specimen_type_country_idx"),
        ({"q": "carabus"}, "specimen_name_key_idx"),
        ({"q": "apidae"}, "specimen_family_name_idx"),
        ({"ordering": "updated_at"}, "specimen_updated_idx"),
        ({"ordering": "-catalog_number"}, "specimen_catalog_upper_idx"),
    ],
)
def test_a_search_shape_reads_its_index_in_the_order_shown(catalogue, terms, index):
    plan = _plan(search_specimens(Specimen.objects.all(), **terms)[:51])

    assert index in plan, plan
    assert not _sorts_separately(plan), plan


def test_an_exact_catalogue_number_in_any_case_is_an_index_lookup(catalogue):
    plan = _plan(search_specimens(Specimen.objects.all(), catalog_number="x-00042")[:51])

    assert "specimen_catalog_upper_idx" in plan, plan


def test_a_collection_and_name_prefix_read_the_collection_index(catalogue, collection_a):
    in_a = Specimen.objects.filter(collection=collection_a)

    plan = _plan(search_specimens(in_a, scientific_name="bomb")[:51])

    assert "specimen_collection_name_idx" in plan, plan
    assert not _sorts_separately(plan), plan


def test_a_deep_page_starts_inside_the_index_not_at_its_beginning(catalogue):
    ordered = search_specimens(Specimen.objects.all())
    deep = ordered.filter(after_position(list(ordered.query.order_by), ["helix niger", 2500]))

    plan = _plan(deep[:51])

    assert "specimen_name_key_idx" in plan, plan
    assert not _sorts_separately(plan), plan
    if connection.vendor == "postgresql":
        assert "Index Cond: (ROW(" in plan, plan
    else:
        assert "specimen_name_key_idx (scientific_name_key>?" in plan, plan
