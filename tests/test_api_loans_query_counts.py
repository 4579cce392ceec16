"""The loan list costs the same few queries for a page of 5 as for a page of 50.

A list row shows its collections (prefetched), ``overdue`` and its counts of items and
comments (annotated); the detail adds items with their specimens, permits and the history
with its actors (prefetched), and ``allowed_actions`` reads the caller's
roles from a cache on the one user object: none of them may cost a query per loan.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import Specimen
from loans.models import LoanComment, LoanHistory, LoanItem, LoanRequest, Permit

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"
ROWS = 60
TODAY = datetime.date.today()


@pytest.fixture
def many_loans(make_loan, collection_a, researcher, curator_a) -> None:
    """Loans with two specimens and a lot, a permit, two history rows and a comment each."""
    specimens = Specimen.objects.bulk_create(
        Specimen(collection=collection_a, catalog_number=f"Q-{n:03}") for n in range(2 * ROWS)
    )
    for n in range(ROWS):
        loan = make_loan(status="on_loan", specimens=specimens[2 * n : 2 * n + 2], title=f"L{n}")
        LoanRequest.objects.filter(pk=loan.pk).update(due_date=TODAY - datetime.timedelta(days=n))
        Permit.objects.create(loan=loan, type="cites", number=f"P{n}", issuing_authority="CITES")
        LoanHistory.objects.create(
            request=loan, action="approve", from_status="submitted", to_status="approved",
            actor=curator_a,
        )  # fmt: skip
        LoanHistory.objects.create(
            request=loan, action="confirm_receipt", from_status="dispatched",
            to_status="on_loan", actor=researcher,
        )  # fmt: skip
        LoanComment.objects.create(request=loan, author=researcher, body="Arrived safely.")
    assert LoanItem.objects.count() == 3 * ROWS


def _queries_for(api_as, user, params: dict[str, str]) -> int:
    # A fresh user object per request, as in production: roles are cached on the object.
    client = api_as(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert len(results) == int(params["page_size"])
    # A list row counts its items and comments; the detail lists them and the history.
    assert all(loan["item_count"] == 3 and loan["comment_count"] == 1 for loan in results)
    assert not any("items" in loan or "history" in loan for loan in results)
    assert all(isinstance(loan["allowed_actions"], list) for loan in results)
    return len(captured)


@pytest.mark.parametrize("role", ["researcher", "curator_a", "superuser"])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "on_loan", "overdue": "true", "ordering": "-due_date"},
        {"institution": "INSTA", "q": "L", "requester": "me"},
    ],
)
def test_a_list_page_costs_a_constant_number_of_queries(request, api_as, many_loans, role, filters):
    if filters.get("requester") == "me" and role != "researcher":
        filters = {key: value for key, value in filters.items() if key != "requester"}
    user = request.getfixturevalue(role)

    small = _queries_for(api_as, user, {**filters, "page_size": "5"})
    large = _queries_for(api_as, user, {**filters, "page_size": "50"})

    assert small == large
    # roles, page (with its counts as subqueries), collections; the institution code
    assert large <= 4


def test_one_loan_costs_no_more_than_a_list(api_as, many_loans, curator_a):
    loan = LoanRequest.objects.first()

    with CaptureQueriesContext(connection) as captured:
        response = api_as(curator_a).get(f"{URL}{loan.pk}/")

    assert response.status_code == 200
    assert len(response.json()["items"]) == 3 and len(response.json()["history"]) == 2
    assert len(captured) <= 6
