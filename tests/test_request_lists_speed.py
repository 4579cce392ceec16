"""Request lists (every registered kind) and notifications cost what their page costs, not what
the tables hold.

- the SQL queries of a list page and of a detail are the same at 3 and at 30 requests, each
  with comments, attachments, history and items;
- on PostgreSQL, no query of a list plans a scan of the comments, attachments, history or
  items of other requests: every read of those tables is bound by an index condition (counts
  are correlated subqueries, prefetches name the page's ids);
- paging by cursor while rows are added, changed and deleted between two pages neither skips
  nor repeats a row that stayed.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import fields as drf_fields

from collections_app.models import Specimen
from elvis.workflow.kinds import get_kind
from notifications.models import Notification
from tests.kinds_support import kind_names, make_request

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads PostgreSQL's plans; CI runs both"
)


def _related(kind, name: str):
    """The related model behind ``name`` and the name of its foreign key to the request."""
    relation = kind.model._meta.get_field(name)
    return relation.related_model, relation.field.name


def _add_rows(kind, request, author) -> None:
    """Two comments, an attachment and a history row (items come from ``make_request``)."""
    comments, fk = _related(kind, "comments")
    comments.objects.bulk_create(comments(**{fk: request}, author=author, body="?") for _ in "ab")
    attachments, fk = _related(kind, "attachments")
    attachments.objects.create(
        **{fk: request},
        file="attachments/x.pdf",
        original_name="x.pdf",
        content_type="application/pdf",
        size=4,
        uploaded_by=author,
    )
    history, fk = _related(kind, "history")
    history.objects.create(
        **{fk: request}, action="submit", from_status="draft", to_status="submitted", actor=author
    )


@pytest.fixture
def requests_of(researcher, institution_a, collection_a):
    """``requests_of(kind, n)``: ``n`` submitted requests of ``kind`` with their rows."""

    def _make(kind, count: int) -> list[Any]:
        specimens = Specimen.objects.bulk_create(
            Specimen(collection=collection_a, catalog_number=f"{kind.name}-{count}-{n}")
            for n in range(count)
        )
        made = []
        for specimen in specimens:
            request = make_request(
                kind,
                requester=researcher,
                institution=institution_a,
                collection=collection_a,
                specimens=[specimen],
                status="submitted",
            )
            _add_rows(kind, request, researcher)
            made.append(request)
        return made

    return _make


def _queries(client, url: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # roles are cached per user object


@pytest.mark.parametrize("kind_name", kind_names())
def test_a_list_row_costs_no_signature_inspection(
    api_as, requests_of, curator_a, kind_name, monkeypatch
):
    """DRF inspects the signature of a method named as a field's ``source`` on every value; a
    list's rows call theirs directly (``CalledField``), so a page costs no inspection per row
    (it was about a seventh of a 50-row list's CPU)."""
    kind = get_kind(kind_name)
    requests_of(kind, 3)
    inspected: list[object] = []

    class CountingInspect:
        """``inspect`` as DRF's fields module sees it, counting ``signature`` calls."""

        def __getattr__(self, name: str) -> Any:
            return getattr(inspect, name)

        def signature(self, obj: Any, *args: Any, **kwargs: Any) -> inspect.Signature:
            inspected.append(obj)
            return inspect.signature(obj, *args, **kwargs)

    monkeypatch.setattr(drf_fields, "inspect", CountingInspect())
    response = api_as(_fresh(curator_a)).get(f"/api/v1/{kind.api_path}/", {"page_size": 3})

    assert response.status_code == 200 and len(response.json()["results"]) == 3
    assert inspected == []


# Query counts, at two sizes


@pytest.mark.parametrize("kind_name", kind_names())
@pytest.mark.parametrize("role", ["researcher", "curator_a"])
def test_a_list_and_a_detail_cost_the_same_queries_at_3_and_at_30_requests(
    request, api_as, requests_of, kind_name, role
):
    kind = get_kind(kind_name)
    url = f"/api/v1/{kind.api_path}/"
    user = request.getfixturevalue(role)
    first = requests_of(kind, 3)

    small_list, body = _queries(api_as(_fresh(user)), url, {"page_size": 3})
    small_detail, detail = _queries(api_as(_fresh(user)), f"{url}{first[0].pk}/")
    assert len(body["results"]) == 3
    assert body["results"][0]["comment_count"] == 2 and body["results"][0]["attachment_count"] == 1
    assert len(detail["history"]) == 1 and detail["comment_count"] == 2

    requests_of(kind, 27)
    large_list, body = _queries(api_as(_fresh(user)), url, {"page_size": 3})
    large_detail, _ = _queries(api_as(_fresh(user)), f"{url}{first[0].pk}/")

    assert len(body["results"]) == 3 and body["next"]
    assert (large_list, large_detail) == (small_list, small_detail)
    # The caller's roles, the page (its counts inside it), the collections; nothing per row.
    assert large_list <= 3


@pytest.mark.parametrize("kind_name", kind_names())
def test_a_list_reads_of_the_requester_and_institution_only_what_its_rows_show(
    api_as, requests_of, curator_a, kind_name
):
    kind = get_kind(kind_name)
    requests_of(kind, 2)
    client = api_as(_fresh(curator_a))

    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/api/v1/{kind.api_path}/").json()

    page = next(q["sql"] for q in queries.captured_queries if "comment_count" in q["sql"])
    # The columns selected after the request's own and its counts: the joined ones.
    joined = page.split('AS "comment_count"')[1].split(f' FROM "{kind.model._meta.db_table}"')[0]
    for unread in ("password", "last_login", "date_joined", "description", "address"):
        assert f'."{unread}"' not in joined
    assert '"collections_app_institution"."code"' in joined
    row = body["results"][0]
    assert set(row["requester"]) == {"id", "full_name", "email"} and row["requester"]["email"]
    assert set(row["institution"]) == {"id", "code", "name"} and row["institution"]["code"]
    # The counts are one correlated subquery each, no GROUP BY.
    assert "GROUP BY" not in page


def test_the_notification_list_costs_the_same_queries_at_3_and_at_30(api_as, researcher):
    def notify(count: int) -> None:
        Notification.objects.bulk_create(
            Notification(recipient=researcher, event="loan.submitted", subject="S", body="B")
            for _ in range(count)
        )

    notify(3)
    small, body = _queries(api_as(researcher), "/api/v1/notifications/", {"page_size": 3})
    notify(27)
    large, body = _queries(api_as(researcher), "/api/v1/notifications/", {"page_size": 3})

    assert len(body["results"]) == 3 and body["next"] and "count" not in body
    assert small == large == 1


# Plans on PostgreSQL


#: Tables whose rows belong to one request each: a list may only read its page's.
def _per_request_tables() -> set[str]:
    tables = set()
    for name in kind_names():
        kind = get_kind(name)
        for relation in ("comments", "attachments", "history", "items"):
            if relation == "items" and kind.items is None:
                continue
            tables.add(_related(kind, relation)[0]._meta.db_table)
    return tables


def _index_scans_bound(plan: dict[str, Any]) -> bool:
    """Every Bitmap Index Scan below ``plan`` has an index condition."""
    here = plan.get("Node Type") != "Bitmap Index Scan" or "Index Cond" in plan
    return here and all(_index_scans_bound(child) for child in plan.get("Plans", []))


def _unbound_reads(plan: dict[str, Any], tables: set[str]) -> list[str]:
    """Nodes that read one of ``tables`` without an index condition (a whole-table read)."""
    found = []
    relation = plan.get("Relation Name")
    if relation in tables:
        if plan["Node Type"] == "Bitmap Heap Scan":
            bound = _index_scans_bound(plan)
        else:
            bound = plan["Node Type"] != "Seq Scan" and "Index Cond" in plan
        if not bound:
            found.append(f"{plan['Node Type']} on {relation}")
    for child in plan.get("Plans", []):
        found += _unbound_reads(child, tables)
    return found


@postgresql_only
@pytest.mark.parametrize("kind_name", kind_names())
def test_no_list_query_reads_the_rows_of_other_requests(api_as, requests_of, curator_a, kind_name):
    kind = get_kind(kind_name)
    requests_of(kind, 30)
    tables = _per_request_tables()

    with CaptureQueriesContext(connection) as captured:
        response = api_as(_fresh(curator_a)).get(f"/api/v1/{kind.api_path}/", {"page_size": 5})
    assert response.status_code == 200

    unbound = []
    with connection.cursor() as cursor:
        # Tiny tables are cheapest read whole: forbid that, so the plan shows whether an index
        # condition can bound each read (an unbound read stays a Seq Scan even then).
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in captured.captured_queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (FORMAT JSON) {query['sql']}")
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            unbound += [f"{problem}: {query['sql'][:200]}" for problem in
                        _unbound_reads(plan[0]["Plan"], tables)]  # fmt: skip

    assert unbound == []


def _plan(sql: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _node_types(plan: dict[str, Any]) -> list[str]:
    return [plan["Node Type"], *(t for child in plan.get("Plans", []) for t in _node_types(child))]


def _page_plan(client, url: str, params: dict[str, Any], table: str) -> dict[str, Any]:
    """The plan of the page's own query (the one reading ``table`` with a LIMIT), planned as
    it would be at any size: a few test rows are cheapest read whole and sorted, so whole
    reads and explicit sorts are priced out, and one remains only if no index serves the
    filter and the order together (an index read in order, cut by the LIMIT, stays)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    pages = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"]
    ]
    assert len(pages) == 1, pages
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
    return _plan(pages[0])


#: ``(who, filters)`` of the request lists: each filter a list offers by an equality, alone and
#: with ``status``, as staff and as a researcher (``{institution}`` is institution A's code).
FILTERED_LISTS = [
    ("curator_a", {"status": "submitted"}),
    ("curator_a", {"status": "submitted", "institution": "{institution}"}),
    ("site_staff", {"status": "submitted"}),
    ("site_staff", {"status": "submitted", "institution": "{institution}"}),
    ("researcher", {}),
    ("researcher", {"status": "submitted"}),
    ("researcher", {"requester": "me", "status": "submitted"}),
]


@postgresql_only
@pytest.mark.parametrize("kind_name", kind_names())
@pytest.mark.parametrize(("role", "filters"), FILTERED_LISTS)
def test_a_filtered_list_reads_its_page_in_index_order_without_sorting_the_matches(
    request, api_as, requests_of, institution_a, kind_name, role, filters
):
    kind = get_kind(kind_name)
    requests_of(kind, 3)
    params = {k: v.format(institution=institution_a.code) for k, v in filters.items()}
    client = api_as(_fresh(request.getfixturevalue(role)))

    plan = _page_plan(client, f"/api/v1/{kind.api_path}/", params, kind.model._meta.db_table)

    assert plan["Node Type"] == "Limit"
    assert "Sort" not in _node_types(plan), json.dumps(plan, indent=1)


@postgresql_only
@pytest.mark.parametrize("filters", [{}, {"unread": "true"}])
def test_a_notification_page_is_an_index_read_without_sorting_the_inbox(
    api_as, researcher, filters
):
    Notification.objects.bulk_create(
        Notification(recipient=researcher, event="loan.submitted", subject="S", body="B")
        for _ in range(3)
    )
    plan = _page_plan(
        api_as(researcher), "/api/v1/notifications/", filters, Notification._meta.db_table
    )

    assert plan["Node Type"] == "Limit"
    assert "Sort" not in _node_types(plan), json.dumps(plan, indent=1)


# Cursors while rows change


def _page(client, url: str, params: dict[str, Any]) -> dict[str, Any]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def _walk(client, url: str, first: dict[str, Any]) -> list[int]:
    ids, body = [row["id"] for row in first["results"]], first
    while body["next"]:
        body = client.get(body["next"]).json()
        ids += [row["id"] for row in body["results"]]
    return ids


@pytest.mark.parametrize("kind_name", kind_names())
@pytest.mark.parametrize("ordering", [None, "updated_at", "-submitted_at", "reference"])
def test_a_cursor_neither_skips_nor_repeats_rows_while_requests_change(
    api_as, requests_of, curator_a, kind_name, ordering
):
    kind = get_kind(kind_name)
    url = f"/api/v1/{kind.api_path}/"
    made = requests_of(kind, 9)
    client = api_as(curator_a)
    params = {"page_size": 4, **({"ordering": ordering} if ordering else {})}
    first = _page(client, url, params)
    seen_first = [row["id"] for row in first["results"]]

    # Between the pages: one seen row and one unseen row change, one unseen row goes, one
    # row is added.
    unseen = [r for r in made if r.pk not in seen_first]
    kind.model.objects.filter(pk=seen_first[0]).update(title="Changed")
    touched, gone = unseen[0], unseen[1]
    touched.title = "Changed too"
    touched.save(update_fields=["title", "updated_at"])
    kind.model.objects.filter(pk=gone.pk).delete()
    added = requests_of(kind, 1)[0]

    ids = _walk(client, url, first)

    assert len(ids) == len(set(ids)), "a row came twice"
    stayed = {r.pk for r in made} - {gone.pk, touched.pk}
    assert stayed <= set(ids), "a row that stayed was skipped"
    assert gone.pk not in set(ids) - set(seen_first)
    assert set(ids) <= stayed | {touched.pk, added.pk}


def test_the_notification_cursor_neither_skips_nor_repeats_while_notifications_arrive(
    api_as, researcher
):
    made = Notification.objects.bulk_create(
        Notification(recipient=researcher, event="loan.submitted", subject=f"S{n}", body="B")
        for n in range(9)
    )
    client = api_as(researcher)
    first = _page(client, "/api/v1/notifications/", {"page_size": 4})
    seen_first = {row["id"] for row in first["results"]}
    unseen = [n for n in made if n.pk not in seen_first]
    Notification.objects.filter(pk=unseen[0].pk).delete()
    Notification.objects.filter(pk=unseen[1].pk).update(read_at="2026-01-01T00:00:00Z")
    Notification.objects.create(recipient=researcher, event="loan.approved", subject="N", body="B")

    ids = _walk(client, "/api/v1/notifications/", first)

    assert len(ids) == len(set(ids))
    assert set(ids) == {n.pk for n in made} - {unseen[0].pk}  # the newest is before page 1


def test_mixed_directions_are_a_400_naming_ordering(api_as, curator_a):
    response = api_as(curator_a).get("/api/v1/loan-requests/", {"ordering": "status,-updated_at"})

    assert response.status_code == 400
    assert list(response.json()) == ["ordering"]


def test_page_numbers_are_a_400_pointing_to_the_cursor(api_as, curator_a):
    response = api_as(curator_a).get("/api/v1/loan-requests/", {"page": 2})

    assert response.status_code == 400 and "page" in response.json()
