"""A name prefix the planner's statistics misjudge still reads one page of rows.

PostgreSQL estimates a range of the name key (``'gadus' <= key < 'gadut'``) from its
statistics: the most common names, then a histogram of the rest. A name that is neither common
enough to be listed nor a bound of the histogram falls inside one of its buckets, and a range
that narrow is estimated at a row or so. Joined to collection and institution in one step, the
page was then hash-joined and sorted over every specimen of the name (38 ms for 15,760 of them
in ``make bench`` at 5M rows, growing with the name) instead of read from the index in order.
The catalogue's pages read their keys first on every page (``CataloguePagination.keys_first``):
this reads the plan PostgreSQL really ran (CI runs the PostgreSQL pass) and, on both databases,
that the rows are the right ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import Specimen

from .catalogue_support import analyse_catalogue, twenty_collections

pytestmark = pytest.mark.django_db

LIST = "/api/v1/specimens/"
PAGE = 10
#: Names, specimens of each: far more names than the statistics list as common, each with more
#: specimens than a page.
NAMES, EACH = 400, 3 * PAGE


def _name(n: int) -> str:
    return f"Genus{n:03} species"


@pytest.fixture
def catalogue(db) -> None:
    """``NAMES`` names of ``EACH`` specimens over twenty collections, with fresh statistics."""
    collections = twenty_collections("MIS")
    Specimen.objects.bulk_create(
        Specimen(
            collection=collections[n % len(collections)],
            catalog_number=f"MIS-{n:05}",
            scientific_name=_name(n % NAMES),
        )
        for n in range(NAMES * EACH)
    )
    analyse_catalogue()


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", ()) for node in _nodes(child))]


@pytest.mark.parametrize("number", [7, 201, 398])
def test_a_name_prefix_reads_a_page_of_rows_not_every_specimen_of_the_name(api, catalogue, number):
    name = _name(number)

    with CaptureQueriesContext(connection) as queries:
        response = api.get(LIST, {"scientific_name": name, "page_size": PAGE})

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    expected = Specimen.objects.filter(scientific_name=name).order_by("pk")[:PAGE]
    assert [row["id"] for row in results] == [specimen.pk for specimen in expected]
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        with connection.cursor() as explain:
            explain.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {queries[0]['sql']}")
            plan = explain.fetchone()[0][0]["Plan"]
        table = Specimen._meta.db_table
        read = [
            (node["Node Type"], node["Actual Rows"])
            for node in _nodes(plan)
            if node.get("Relation Name") == table
        ]
        # The page and the one row that says whether another follows; the bad plan read EACH.
        assert read and max(rows for _node, rows in read) <= PAGE + 1, read
