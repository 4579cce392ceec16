"""Specimen pages read by the SQL compiled once per shape (``collections_app/api/pages.py``)
answer exactly what the filter set and the paginator built them to, statement for statement.

Every shape the filters make — each plain filter, each search term, ``q`` matching none, one
or two of its meanings, every ordering, cursors forwards and backwards — is requested twice:
through the compiled pages and through the built queryset (``search_of`` answering None). The
JSON and the SQL statements (the probes of ``q`` and the page) must be the same; "apidae" is a
catalogue number and a family, so its page binds one term in two places. A later request of the
same shape compiles nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from collections_app.api import views
from collections_app.models import Collection, Specimen

pytestmark = pytest.mark.django_db

LIST = "/api/v1/specimens/"


@pytest.fixture
def catalogue(collection_a, collection_b):
    """Specimens in two collections, with names sharing prefixes, a family equal to a
    catalogue number (``q`` then matches two meanings) and times to page through."""
    families = ["Carabidae", "Apidae", "Formicidae"]
    rows = [
        Specimen(
            collection=collection_a if n % 3 else collection_b,
            catalog_number=f"ENT-{n:03d}",
            scientific_name=f"{['Carabus', 'Cárabus', 'Apis', 'Formica'][n % 4]} sp{n % 7}",
            family=families[n % 3],
            type_status="Holotype" if n % 5 == 0 else "",
            country=["FR", "GB", "DE"][n % 3],
            is_available=n % 4 != 0,
        )
        for n in range(40)
    ]
    rows.append(Specimen(collection=collection_a, catalog_number="Apidae", family="Apidae"))
    Specimen.objects.bulk_create(rows)
    for n, specimen in enumerate(Specimen.objects.order_by("pk")):
        moment = datetime(2026, 1, 1 + n % 5, 12, n, tzinfo=UTC)
        Specimen.objects.filter(pk=specimen.pk).update(updated_at=moment)
    return collection_a, collection_b


def _requests(collection_a: Collection) -> list[dict[str, str]]:
    return [
        {},
        {"page_size": "7"},
        {"page_size": "7", "ordering": "-scientific_name"},
        {"page_size": "5", "ordering": "catalog_number"},
        {"page_size": "5", "ordering": "-family"},
        {"page_size": "6", "ordering": "updated_at"},
        {"page_size": "6", "ordering": "updated_at", "updated_after": "2026-01-02T00:00:00Z"},
        {"scientific_name": "carab", "page_size": "4"},
        {"scientific_name": "CÁRABUS SP1"},
        {"catalog_number": "ent-007"},
        {"family": "apidae", "country": "fr", "page_size": "3"},
        {"type_status": "holotype", "is_available": "true"},
        {"is_available": "false", "page_size": "3"},
        {"institution": collection_a.institution.code, "page_size": "4"},
        {"collection": str(collection_a.pk), "family": "formicidae", "page_size": "3"},
        {"collection_code": collection_a.code, "ordering": "-updated_at", "page_size": "4"},
        {"q": "carab", "page_size": "4"},
        {"q": "ENT-012"},
        {"q": "apidae", "page_size": "4"},  # a family and a catalogue number: two meanings
        {"q": "nothing-like-it"},
        {"q": "formica", "collection": str(collection_a.pk), "ordering": "-catalog_number"},
    ]


def _walk(api, params: dict[str, str]) -> tuple[list[dict], list[str]]:
    """Every page of ``params`` forwards, then the previous link of the last page, with the
    SQL each request ran."""
    pages, statements = [], []
    url: str | None = LIST
    data: dict[str, str] | None = params
    last = None
    while url:
        with CaptureQueriesContext(connection) as captured:
            answer = api.get(url, data)
        assert answer.status_code == 200, answer.content
        last = answer.json()
        pages.append(last)
        statements += [query["sql"] for query in captured]
        url, data = last["next"], None
    if last and last["previous"]:
        with CaptureQueriesContext(connection) as captured:
            pages.append(api.get(last["previous"]).json())
        statements += [query["sql"] for query in captured]
    return pages, statements


def test_every_shape_answers_what_the_built_queryset_answers(api, catalogue, monkeypatch):
    requests = _requests(catalogue[0])
    compiled = [_walk(api, params) for params in requests]
    monkeypatch.setattr(views, "search_of", lambda filterset: None)
    built = [_walk(api, params) for params in requests]
    for params, (pages, sql), (built_pages, built_sql) in zip(
        requests, compiled, built, strict=True
    ):
        assert pages == built_pages, params
        assert sql == built_sql, params
    # Not vacuous: the shapes found rows, paged, and "q" probed two meanings of "apidae".
    assert sum(len(page["results"]) for pages, _ in compiled for page in pages) > 200
    assert sum(len(pages) > 2 for pages, _ in compiled) >= 8
    apidae = compiled[requests.index({"q": "apidae", "page_size": "4"})][0]
    assert "Apidae" in {row["catalog_number"] for page in apidae for row in page["results"]}


def test_a_shape_is_compiled_once_and_runs_with_each_requests_values(api, catalogue, monkeypatch):
    compiles = []
    as_sql = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        compiles.append(self.query.model)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    first = api.get(LIST, {"scientific_name": "apis", "page_size": "3"}).json()
    compiles.clear()
    second = api.get(LIST, {"scientific_name": "formica", "page_size": "3"}).json()
    assert compiles == []
    following = api.get(second["next"]).json()
    assert Specimen in compiles  # the page after a cursor is another shape
    compiles.clear()
    last = api.get(following["next"]).json()
    assert compiles == []
    names = {row["scientific_name"].split()[0] for row in first["results"]}
    assert names == {"Apis"}
    pages = (second, following, last)
    assert {row["scientific_name"].split()[0] for p in pages for row in p["results"]} == {"Formica"}
    assert len({row["id"] for p in pages for row in p["results"]}) == 9
