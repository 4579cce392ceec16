"""A partner syncing ``?ordering=updated_at`` through specimens that one import wrote at the same
moment reads each page from the index, at any depth.

Every specimen of an import shares its ``updated_at``. PostgreSQL estimates the cursor's row
comparison ``(updated_at, id) > (t, n)`` by its first column alone, so inside such a run it
expects one row: joined to collection and institution in one step, it hash-joined and sorted
every row after the cursor (100 ms at 25,000 specimens, growing with the table). The catalogue's
pages read their keys first (``KeysetPagination.keys_first``); this reads the plan PostgreSQL
really ran (CI runs the PostgreSQL pass) and, on both databases, that the rows are the right ones.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from collections_app.models import Specimen
from collections_app.search import order_specimens
from elvis.api.pagination import encode_cursor

from .catalogue_support import analyse_catalogue, twenty_collections

pytestmark = pytest.mark.django_db

LIST = "/api/v1/specimens/"
PAGE = 10


@pytest.fixture
def imported(db) -> list[int]:
    """5,000 specimens of twenty collections changed at one moment (as an import leaves them),
    with fresh statistics; their ids in the sync's order."""
    collections = twenty_collections("IMP")
    Specimen.objects.bulk_create(
        Specimen(
            collection=collections[n % len(collections)],
            catalog_number=f"IMP-{n:05}",
            scientific_name="Carabus auratus",
        )
        for n in range(5000)
    )
    Specimen.objects.update(updated_at=timezone.now())
    analyse_catalogue()
    ordered = order_specimens(Specimen.objects.all(), "updated_at")
    return list(ordered.values_list("pk", flat=True))


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", ()) for node in _nodes(child))]


def test_a_deep_page_of_the_sync_reads_a_page_of_rows_not_the_rest_of_the_import(api, imported):
    ordered = order_specimens(Specimen.objects.all(), "updated_at")
    before = ordered[2999]
    cursor = encode_cursor(list(ordered.query.order_by), before)

    with CaptureQueriesContext(connection) as queries:
        response = api.get(LIST, {"ordering": "updated_at", "page_size": PAGE, "cursor": cursor})

    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == imported[3000 : 3000 + PAGE]
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        with connection.cursor() as explain:
            explain.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {queries[0]['sql']}")
            plan = explain.fetchone()[0][0]["Plan"]
        read = [(node["Node Type"], node["Actual Rows"]) for node in _nodes(plan)]
        # The page and the one row that says whether another follows; the bad plan read 2,000.
        assert max(rows for _node, rows in read) <= PAGE + 1, read
