"""Request lists (every registered kind) read by the SQL compiled once per shape
(``elvis/api/requests/pages.py``) answer exactly what the built queryset answers.

Each caller (the requester, a curator of one institution, a coordinator of another, site
staff) walks every page of each shape forwards and one page back: the default order, each
ordering (ascending, descending, a date that may be empty), each filter alone and together.
Done through the compiled pages and through the built queryset (``RequestListPlan.of``
answering None), the JSON and the SQL statements must be the same; a later request of the same
shape compiles no page query; shapes of no fixed SQL are still answered, the built way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from collections_app.models import Specimen
from elvis.api.requests import viewsets
from elvis.workflow.kinds import get_kind
from tests.kinds_support import kind_names, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests_of_kinds(
    researcher, make_user, institution_a, institution_b, collection_a, collection_b
):
    """For ``kind``: the researcher's drafts and requests submitted to A and to B, and another
    requester's request to A; times spread so that every ordering has ties and gaps."""

    def _make(kind) -> None:
        other = make_user("other-requester@example.org")
        made = []
        for n in range(14):
            institution, collection = (
                (institution_a, collection_a) if n % 3 else (institution_b, collection_b)
            )
            specimen = Specimen.objects.create(
                collection=collection, catalog_number=f"{kind.name}-{n}"
            )
            made.append(
                make_request(
                    kind,
                    requester=other if n == 13 else researcher,
                    institution=institution,
                    collection=collection,
                    specimens=[specimen],
                    status="draft" if n % 5 == 0 else "submitted",
                )
            )
        for n, request in enumerate(made):
            moment = datetime(2026, 3, 1 + n % 4, 9, n, tzinfo=UTC)
            kind.model.objects.filter(pk=request.pk).update(updated_at=moment)

    return _make


def _shapes(collection_id: int, institution_code: str) -> list[dict[str, str]]:
    return [
        {},
        {"page_size": "3"},
        {"page_size": "4", "ordering": "updated_at"},
        {"page_size": "4", "ordering": "-submitted_at"},
        {"page_size": "5", "ordering": "reference"},
        {"page_size": "3", "ordering": "-status,-created_at"},
        {"page_size": "3", "status": "submitted"},
        {"page_size": "3", "status": "draft"},
        {"page_size": "2", "institution": institution_code},
        {"page_size": "2", "collection": str(collection_id), "ordering": "created_at"},
        {"page_size": "3", "updated_after": "2026-03-02T00:00:00Z", "status": "submitted"},
        # No fixed SQL: read the built way, by both.
        {"page_size": "3", "q": "A "},
        {"page_size": "3", "requester": "me"},
        {"page_size": "3", "status": ["submitted", "draft"]},
    ]


def _walk(client, url: str, params: dict[str, Any]) -> tuple[list[Any], list[str]]:
    pages, statements = [], []
    next_url: str | None = url
    data: dict[str, Any] | None = params
    while next_url:
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(next_url, data)
        assert answer.status_code == 200, answer.content
        pages.append(answer.json())
        statements += [query["sql"] for query in captured]
        next_url, data = pages[-1]["next"], None
    if pages[-1]["previous"]:
        with CaptureQueriesContext(connection) as captured:
            pages.append(client.get(pages[-1]["previous"]).json())
        statements += [query["sql"] for query in captured]
    return pages, statements


@pytest.mark.parametrize("kind_name", kind_names())
def test_every_shape_answers_what_the_built_queryset_answers(
    api_as,
    requests_of_kinds,
    researcher,
    curator_a,
    coordinator_b,
    site_staff,
    collection_a,
    institution_a,
    kind_name,
    monkeypatch,
):
    kind = get_kind(kind_name)
    requests_of_kinds(kind)
    url = f"/api/v1/{kind.api_path}/"
    shapes = _shapes(collection_a.pk, institution_a.code)
    callers = [researcher, curator_a, coordinator_b, site_staff]

    def walk_all() -> list[tuple[list[Any], list[str]]]:
        # A fresh user object each time: roles are cached per user object.
        fresh = [type(user).objects.get(pk=user.pk) for user in callers]
        return [_walk(api_as(user), url, params) for user in fresh for params in shapes]

    compiled = walk_all()
    monkeypatch.setattr(viewsets.RequestListPlan, "of", classmethod(lambda *args: None))
    built = walk_all()
    for n, ((pages, sql), (built_pages, built_sql)) in enumerate(zip(compiled, built, strict=True)):
        case = (callers[n // len(shapes)].email, shapes[n % len(shapes)])
        assert pages == built_pages, case
        assert sql == built_sql, case
    # Not vacuous: every caller saw requests, over several pages.
    for at, caller in enumerate(callers):
        pages, _ = compiled[at * len(shapes)]  # the default list of each caller
        assert any(page["results"] for page in pages), caller.email
    assert sum(len(pages) > 2 for pages, _ in compiled) >= 20


@pytest.mark.parametrize("kind_name", kind_names())
def test_a_shape_is_compiled_once_and_runs_with_each_callers_values(
    api_as, requests_of_kinds, researcher, curator_a, kind_name, monkeypatch
):
    kind = get_kind(kind_name)
    requests_of_kinds(kind)
    url = f"/api/v1/{kind.api_path}/"
    compiles: list[type] = []
    as_sql = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        compiles.append(self.query.model)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    submitted = api_as(researcher).get(url, {"page_size": "2", "status": "submitted"}).json()
    assert kind.model in compiles
    compiles.clear()
    drafts = api_as(researcher).get(url, {"page_size": "2", "status": "draft"}).json()
    # The same shape with other values: nothing compiled, not the page, not its collections.
    assert compiles == []
    theirs = api_as(curator_a).get(url, {"page_size": "2", "status": "draft"}).json()
    assert kind.model in compiles  # a caller handling an institution: another shape
    assert len(submitted["results"]) == len(drafts["results"]) == 2
    assert {row["status"] for row in submitted["results"]} == {"submitted"}
    assert {row["status"] for row in drafts["results"]} == {"draft"}
    assert theirs["results"] == []  # drafts are their requester's own
