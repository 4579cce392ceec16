"""Every kind's admin queue costs what its page costs, not what the request table holds.

- no query of the changelist counts (or aggregates) every matching request: the paginator's
  count is over a ``LIMIT`` subquery, the unfiltered total is not counted, and the creation
  date is a filter of fixed ranges instead of a date hierarchy (MIN/MAX and DISTINCT);
- on PostgreSQL, no Aggregate in any plan reads the request table without a Limit below it;
- past the bound, the queue says "more than N" and still shows its first page.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from elvis.workflow.kinds import get_kind
from elvis.workflow.paging import BoundedCountPaginator
from tests.kinds_support import kind_names, make_request

pytestmark = pytest.mark.django_db


def _changelist(kind) -> str:
    opts = kind.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


@pytest.fixture
def sent_requests(researcher, institution_a, collection_a):
    def _make(kind, count: int) -> None:
        for _ in range(count):
            make_request(
                kind,
                requester=researcher,
                institution=institution_a,
                collection=collection_a,
                status="submitted",
            )

    return _make


def _table_queries(client, path: str, table: str) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries if f'"{table}"' in q["sql"]]


#: What a query over the matching requests as a whole starts with (a count, the date
#: hierarchy's range and dates); per-row counts inside a page's query are correlated subqueries.
WHOLE_LIST_AGGREGATES = ("SELECT COUNT(", "SELECT MIN(", "SELECT DISTINCT")
QUEUES = ["", "?status__exact=all", "?status__exact=submitted&q=A"]


@pytest.mark.parametrize("query", QUEUES)
@pytest.mark.parametrize("kind_name", kind_names())
def test_the_queue_never_counts_or_aggregates_every_request(
    client, curator_a, sent_requests, kind_name, query
):
    kind = get_kind(kind_name)
    sent_requests(kind, 3)
    client.force_login(curator_a)

    response, queries = _table_queries(client, _changelist(kind) + query, kind.model._meta.db_table)

    assert len(response.context["cl"].result_list) == 3
    aggregates = [sql for sql in queries if sql.startswith(WHOLE_LIST_AGGREGATES)]
    assert aggregates and all("LIMIT" in sql for sql in aggregates), aggregates
    assert response.context["cl"].full_result_count is None


def _unbounded_aggregates(plan: dict[str, Any], table: str, *, aggregated=False) -> list[str]:
    """Reads of ``table`` below an Aggregate with no Limit between the two."""
    node = plan["Node Type"]
    if node in ("Aggregate", "Limit"):
        aggregated = node == "Aggregate"
    found = [f"{node} on {table}"] if aggregated and plan.get("Relation Name") == table else []
    for child in plan.get("Plans", []):
        found += _unbounded_aggregates(child, table, aggregated=aggregated)
    return found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
@pytest.mark.parametrize("kind_name", kind_names())
def test_no_plan_of_the_queue_aggregates_the_request_table_unbounded(
    client, curator_a, sent_requests, kind_name
):
    kind = get_kind(kind_name)
    sent_requests(kind, 3)
    client.force_login(curator_a)
    table = kind.model._meta.db_table

    _response, queries = _table_queries(client, _changelist(kind), table)

    unbounded = []
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            unbounded += [
                f"{p}: {sql[:200]}" for p in _unbounded_aggregates(plan[0]["Plan"], table)
            ]
    assert unbounded == []


@pytest.mark.parametrize("kind_name", kind_names())
def test_past_the_bound_the_queue_says_more_than_and_shows_its_first_page(
    client, curator_a, sent_requests, monkeypatch, kind_name
):
    kind = get_kind(kind_name)
    monkeypatch.setattr(BoundedCountPaginator, "bound", 2)
    sent_requests(kind, 3)
    client.force_login(curator_a)

    response = client.get(_changelist(kind))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 3
    assert f"more than 2 {kind.model._meta.verbose_name_plural}" in response.content.decode()
