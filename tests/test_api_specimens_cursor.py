"""``/api/v1/specimens/`` pages by cursor: next and previous links, no count, every row once
while paging (even as rows come and go), and a 400 for any cursor or page parameter it did not
make — never a 404 or a 500."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from collections_app.models import Specimen

LIST = "/api/v1/specimens/"
NAMES = ["Carabus auratus", "Carabus auratus", "Apis mellifera", "Épeira", "Quercus robur"]
FAMILIES = ["Carabidae", "Apidae", "Araneidae"]


@pytest.fixture
def specimens(collection_a, collection_b) -> list[Specimen]:
    """Eleven specimens whose names, families and change times repeat, so orderings tie."""
    made = [
        Specimen.objects.create(
            collection=collection_a if n % 2 else collection_b,
            catalog_number=f"S-{n:02}",
            scientific_name=NAMES[n % len(NAMES)],
            family=FAMILIES[n % len(FAMILIES)],
        )
        for n in range(11)
    ]
    moment = timezone.now()
    for n, specimen in enumerate(made):
        Specimen.objects.filter(pk=specimen.pk).update(updated_at=moment + timedelta(hours=n % 3))
    return made


def _walk(api, params: dict[str, str]) -> list[dict]:
    """Every page from the first, following the next links."""
    return _walk_from(api, api.get(LIST, params))


def _walk_from(api, response) -> list[dict]:
    pages = []
    while True:
        assert response.status_code == 200, response.content
        pages.append(response.json())
        if pages[-1]["next"] is None:
            return pages
        response = api.get(pages[-1]["next"])


def _ids(pages: list[dict]) -> list[int]:
    return [row["id"] for page in pages for row in page["results"]]


def _expected(ordering: str) -> list[int]:
    from collections_app.search import order_specimens

    return list(order_specimens(Specimen.objects.all(), ordering).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "ordering",
    [
        "scientific_name",
        "-scientific_name",
        "catalog_number",
        "-catalog_number",
        "family",
        "-family",
        "updated_at",
        "-updated_at",
    ],
)
def test_following_next_links_lists_every_specimen_once_in_order(api, specimens, ordering):
    pages = _walk(api, {"ordering": ordering, "page_size": "3"})

    assert _ids(pages) == _expected(ordering)
    assert [len(page["results"]) for page in pages] == [3, 3, 3, 2]


def test_the_default_order_is_by_scientific_name_then_id(api, specimens):
    assert _ids(_walk(api, {"page_size": "4"})) == _expected("scientific_name")


def test_a_page_shows_results_and_links_but_no_count(api, specimens):
    body = api.get(LIST, {"page_size": "3"}).json()

    assert set(body) == {"next", "previous", "results"}
    assert body["previous"] is None
    assert "cursor=" in body["next"] and "page_size=3" in body["next"]


def test_previous_links_walk_back_to_the_first_page(api, specimens):
    forward = _walk(api, {"page_size": "3", "family": "carabidae"})
    backward = [forward[-1]]
    while backward[-1]["previous"] is not None:
        backward.append(api.get(backward[-1]["previous"]).json())

    assert [page["results"] for page in reversed(backward)] == [p["results"] for p in forward]
    assert backward[-1]["next"] is not None


def test_rows_added_or_removed_while_paging_never_make_others_skip_or_repeat(
    api, specimens, collection_a
):
    first = api.get(LIST, {"page_size": "4"}).json()
    seen_first = {row["id"] for row in first["results"]}
    Specimen.objects.create(collection=collection_a, catalog_number="NEW-1", scientific_name="Aa")
    Specimen.objects.create(collection=collection_a, catalog_number="NEW-2", scientific_name="Zz")
    removed = Specimen.objects.exclude(pk__in=seen_first).order_by("pk").first().pk
    Specimen.objects.filter(pk=removed).delete()

    rest = _ids(_walk_from(api, api.get(first["next"])))

    unchanged = {s.pk for s in specimens} - seen_first - {removed}
    assert len(rest) == len(set(rest))
    assert unchanged <= set(rest)
    assert not seen_first & set(rest)


def test_sync_by_change_time_pages_through_rows_changed_at_the_same_moment(api, specimens):
    since = (timezone.now() - timedelta(days=1)).isoformat()

    pages = _walk(api, {"ordering": "updated_at", "updated_after": since, "page_size": "2"})

    assert sorted(_ids(pages)) == sorted(s.pk for s in specimens)
    assert _ids(pages) == _expected("updated_at")


def _cursor(payload: object) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


GOOD = {"o": ["scientific_name_key", "id"], "v": ["carabus", 1], "b": False}


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _cursor("a string"),
        _cursor([1, 2]),
        _cursor({"v": ["carabus", 1]}),
        _cursor({**GOOD, "o": ["updated_at", "id"]}),
        _cursor({**GOOD, "v": ["carabus"]}),
        _cursor({**GOOD, "v": ["carabus", "one"]}),
        _cursor({**GOOD, "v": ["carabus", 10**30]}),
        _cursor({**GOOD, "v": ["nul\x00byte", 1]}),
        _cursor({**GOOD, "v": [None, 1]}),
        _cursor({**GOOD, "v": ["carabus", 1e999]}),
        base64.urlsafe_b64encode(b"[" * 3000).decode(),
        _cursor({**GOOD, "v": ["x" * 300, 1]}),
        _cursor({**GOOD, "b": "yes"}),
    ],
)
def test_a_cursor_we_did_not_make_is_a_400_naming_it(api, specimens, cursor):
    response = api.get(LIST, {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["cursor"]


@pytest.mark.parametrize(
    "values",
    [
        ["soon", 1],
        ["2026-01-01T00:00:00", 1],
        ["0001-01-01T00:00:00+14:00", 1],
    ],
)
def test_a_cursor_with_an_impossible_time_is_a_400(api, specimens, values):
    cursor = _cursor({"o": ["updated_at", "id"], "v": values, "b": False})

    response = api.get(LIST, {"ordering": "updated_at", "cursor": cursor})

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["cursor"]


def test_a_cursor_from_another_ordering_is_refused(api, specimens):
    by_time = api.get(LIST, {"ordering": "updated_at", "page_size": "2"}).json()["next"]
    cursor = by_time.split("cursor=")[1].split("&")[0]

    response = api.get(LIST, {"cursor": cursor})

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


@pytest.mark.parametrize("page", ["1", "2", "last"])
def test_page_numbers_are_refused_with_a_pointer_to_the_next_link(api, specimens, page):
    response = api.get(LIST, {"page": page})

    assert response.status_code == 400
    assert "next link" in response.json()["page"][0]


@pytest.mark.parametrize(("size", "status"), [("1", 200), ("200", 200), ("201", 400), ("0", 400)])
def test_page_size_is_between_1_and_200(api, specimens, size, status):
    response = api.get(LIST, {"page_size": size})

    assert response.status_code == status
    if status == 400:
        assert list(response.json()) == ["page_size"]


@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({}, 1),
        ({"ordering": "-updated_at", "scientific_name": "carab"}, 1),
        ({"institution": "INSTA"}, 2),
        ({"q": "carabus"}, 2),  # one statement of its probes, then the page
    ],
)
def test_a_deep_page_costs_the_same_queries_as_the_first(
    api, specimens, django_assert_num_queries, params, queries
):
    with django_assert_num_queries(queries):
        first = api.get(LIST, {**params, "page_size": "1"}).json()
    with django_assert_num_queries(queries):
        second = api.get(first["next"])

    assert second.status_code == 200
    assert second.json()["results"] != first["results"]
