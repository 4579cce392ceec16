"""Incremental sync: every list takes ``updated_after`` (inclusive) and ``ordering=updated_at``,
tie-broken by id, and a partner paging through changes while rows change misses none.

The protocol for the lists paged by number (institutions, collections, facilities, loan
requests): ask for the first page of ``?updated_after=<T>&ordering=updated_at``, then ask again
with ``T`` = the ``updated_at`` of the last row received, until ``next`` is null. Specimens page
by cursor: follow ``next``. Either way a row that changes while the partner pages moves to the
end and is received again, with its new content: rows may come twice, never not at all (rows
at exactly ``T`` come again too, as ``updated_after`` is inclusive).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.utils import timezone
from rest_framework.test import APIClient

from collections_app.models import Collection, Facility, Institution, Specimen
from loans.models import LoanRequest

pytestmark = pytest.mark.django_db

API = "/api/v1/"


@pytest.fixture
def rows_of(institution_a, collection_a, make_loan) -> Callable[[str, int], list[Model]]:
    """``rows_of(resource, n)``: ``n`` new rows of the list, oldest id first, named so that the
    list's default order is not the id order (ties must be broken by id, not by chance)."""
    makers: dict[str, Callable[[int], Model]] = {
        "institutions": lambda n: Institution.objects.create(code=f"Z{9 - n}", name=f"I {n}"),
        "collections": lambda n: Collection.objects.create(
            institution=institution_a, code=f"Z{9 - n}", name=f"C {n}"
        ),
        "facilities": lambda n: Facility.objects.create(
            institution=institution_a, name=f"Z{9 - n} lab"
        ),
        "specimens": lambda n: Specimen.objects.create(
            collection=collection_a, catalog_number=f"S-{n}", scientific_name=f"Z{9 - n} x"
        ),
        "loan-requests": lambda n: make_loan(title=f"Loan {n}", specimens=[]),
    }
    return lambda resource, count: [makers[resource](n) for n in range(count)]


@pytest.fixture
def reader(api_as, researcher) -> APIClient:
    """Sees every row of every list here: the registry is public, the loans are theirs."""
    return api_as(researcher)


def follow(client: APIClient, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = client.get(url, params).json()
    rows += page["results"]
    while page["next"]:
        page = client.get(page["next"]).json()
        rows += page["results"]
    return rows


LISTS = ["institutions", "collections", "facilities", "specimens", "loan-requests"]


@pytest.mark.parametrize("resource", LISTS)
def test_updated_after_keeps_rows_changed_since_in_change_order_with_ties_by_id(
    reader, rows_of, resource
):
    old, tie_low, tie_high, newest = rows_of(resource, 4)
    since = timezone.now() + timedelta(hours=1)
    model = type(old)
    model.objects.filter(pk=old.pk).update(updated_at=since - timedelta(seconds=1))
    model.objects.filter(pk__in=[tie_low.pk, tie_high.pk]).update(updated_at=since)
    model.objects.filter(pk=newest.pk).update(updated_at=since + timedelta(seconds=1))
    params = {"updated_after": since.isoformat(), "ordering": "updated_at", "page_size": 2}

    rows = follow(reader, f"{API}{resource}/", params)

    assert [row["id"] for row in rows] == [tie_low.pk, tie_high.pk, newest.pk]


@pytest.mark.parametrize("resource", LISTS)
def test_a_bad_updated_after_is_a_400_naming_it(reader, resource):
    response = reader.get(f"{API}{resource}/", {"updated_after": "yesterday"})

    assert response.status_code == 400
    assert "updated_after" in response.json()


def touch(row: Model) -> None:
    """A change as an edit makes it: saved, so ``updated_at`` moves to now."""
    row.refresh_from_db()
    row.save()


def sync_by_updated_after(
    client: APIClient, url: str, page_size: int, between_pages: Callable[[int], None]
) -> list[dict[str, Any]]:
    """The partner's loop for the lists paged by number (see the module docstring)."""
    received: list[dict[str, Any]] = []
    since = "2000-01-01T00:00:00Z"
    for pages in range(1, 100):
        params = {"updated_after": since, "ordering": "updated_at", "page_size": page_size}
        page = client.get(url, params).json()
        received += page["results"]
        if page["next"] is None:
            return received
        since = page["results"][-1]["updated_at"]
        between_pages(pages)
    raise AssertionError("the sync did not finish")


def assert_no_row_missed(model: type[Model], received: list[dict[str, Any]], changed: Model):
    """Every row was received as it is now, so the partner's copy is current; the row that
    changed after it was received came again."""
    versions = {(row["id"], row["updated_at"]) for row in received}
    current = {
        (pk, updated_at.isoformat().replace("+00:00", "Z"))
        for pk, updated_at in model.objects.values_list("pk", "updated_at")
    }
    assert current <= versions
    assert [row["id"] for row in received].count(changed.pk) >= 2


def sync_by_cursor(
    client: APIClient, url: str, page_size: int, between_pages: Callable[[int], None]
) -> list[dict[str, Any]]:
    """The partner's loop for the lists paged by cursor: follow ``next``."""
    page = client.get(url, {"ordering": "updated_at", "page_size": page_size}).json()
    received = list(page["results"])
    pages = 1
    while page["next"]:
        between_pages(pages)
        page = client.get(page["next"]).json()
        received += page["results"]
        pages += 1
    return received


@pytest.mark.parametrize(
    ("resource", "sync"),
    [
        ("institutions", sync_by_updated_after),
        ("loan-requests", sync_by_updated_after),
        ("specimens", sync_by_cursor),
    ],
)
def test_paging_through_changes_misses_no_row_while_rows_change(reader, rows_of, resource, sync):
    rows = rows_of(resource, 7)

    def change_rows(pages: int) -> None:
        if pages == 1:
            touch(rows[0])  # already received: comes again at the end
            touch(rows[5])  # not yet received: comes once, at the end
        if pages == 2:
            touch(rows[3])

    received = sync(reader, f"{API}{resource}/", 3, change_rows)

    assert_no_row_missed(type(rows[0]), received, changed=rows[0])


def test_a_transition_moves_a_loan_request_to_the_end_of_the_sync(
    api_as, curator_a, reader, rows_of
):
    first, second = rows_of("loan-requests", 2)
    LoanRequest.objects.filter(pk=first.pk).update(status="submitted", submitted_at=timezone.now())

    api_as(curator_a).post(f"{API}loan-requests/{first.pk}/start_review/", {})
    rows = reader.get(f"{API}loan-requests/", {"ordering": "updated_at"}).json()["results"]

    assert [row["id"] for row in rows] == [second.pk, first.pk]
