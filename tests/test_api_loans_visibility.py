"""Who sees which loan requests, in lists and in detail, and how lists are filtered.

A researcher sees their own requests, institution staff the requests to their institution, and
anything else is a 404 — never a 403 that would tell a request exists. Filters narrow what one
may see; invalid filter values are a 400 naming the parameter.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from collections_app.models import Collection
from loans.models import LoanRequest

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"
TODAY = datetime.date.today()


@pytest.fixture
def loans(make_loan, researcher, coordinator_a, institution_b, collection_b) -> dict:
    """Three submitted loans: the researcher's to A, the researcher's to B, and coordinator
    A's to B."""
    to_a = make_loan(status="submitted", title="Carabus to A")
    to_b = make_loan(status="submitted", title="Herbarium sheets to B", specimens=[])
    to_b.institution = institution_b
    to_b.save()
    to_b.collections.set([collection_b])
    from_coordinator = make_loan(
        status="submitted", title="Ferns from B", requester=coordinator_a, specimens=[]
    )
    from_coordinator.institution = institution_b
    from_coordinator.save()
    from_coordinator.collections.set([collection_b])
    return {"to_a": to_a, "to_b": to_b, "from_coordinator": from_coordinator}


def _titles(client, **params) -> set[str]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return {loan["title"] for loan in response.json()["results"]}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("researcher", {"Carabus to A", "Herbarium sheets to B"}),
        ("curator_a", {"Carabus to A"}),
        ("coordinator_a", {"Carabus to A", "Ferns from B"}),
        ("coordinator_b", {"Herbarium sheets to B", "Ferns from B"}),
        ("outsider", set()),
        ("superuser", {"Carabus to A", "Herbarium sheets to B", "Ferns from B"}),
    ],
)
def test_the_list_shows_own_requests_and_those_to_ones_institutions(
    request, api_as, loans, role, visible
):
    assert _titles(api_as(request.getfixturevalue(role))) == visible


@pytest.mark.parametrize(
    ("role", "loan", "code"),
    [
        ("researcher", "to_a", 200),
        ("researcher", "from_coordinator", 404),
        ("curator_a", "to_a", 200),
        ("curator_a", "to_b", 404),
        ("coordinator_b", "to_a", 404),
        ("coordinator_b", "to_b", 200),
        ("coordinator_a", "from_coordinator", 200),
        ("outsider", "to_a", 404),
        ("superuser", "to_b", 200),
    ],
)
def test_a_request_one_may_not_see_is_not_found(request, api_as, loans, role, loan, code):
    client = api_as(request.getfixturevalue(role))

    response = client.get(f"{URL}{loans[loan].pk}/")

    assert response.status_code == code
    if code == 200:
        assert response.json()["reference"] == loans[loan].reference


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ""), ("get", "comments/"), ("get", "attachments/"), ("post", "submit/")],
)
def test_an_invisible_request_answers_like_a_missing_one(api_as, loans, outsider, method, path):
    client = api_as(outsider)

    hidden = getattr(client, method)(f"{URL}{loans['to_a'].pk}/{path}")
    missing = getattr(client, method)(f"{URL}999999/{path}")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_a_deactivated_account_sees_no_request_even_with_a_session(api_as, loans, researcher):
    researcher.is_active = False
    researcher.save()

    assert _titles(api_as(researcher)) == set()


def test_unauthenticated_callers_get_401(api, loans):
    assert api.get(URL).status_code == 401
    assert api.get(f"{URL}{loans['to_a'].pk}/").status_code == 401


def test_lists_are_paginated_with_next(api_as, superuser, loans):
    response = api_as(superuser).get(URL, {"page_size": 2})

    body = response.json()
    # Paged by cursor: no count, and the second page holds the one loan left.
    assert "count" not in body and len(body["results"]) == 2 and body["next"]
    last = api_as(superuser).get(body["next"]).json()
    assert len(last["results"]) == 1 and last["next"] is None and last["previous"]


# Filters


def test_status_filter_takes_several_values(api_as, superuser, make_loan):
    for status in ("submitted", "under_review", "approved"):
        make_loan(status=status, title=status)

    titles = _titles(api_as(superuser), status=["submitted", "under_review"])

    assert titles == {"submitted", "under_review"}


def test_institution_and_collection_filters(api_as, superuser, loans, collection_b):
    client = api_as(superuser)

    assert _titles(client, institution="INSTA") == {"Carabus to A"}
    assert _titles(client, collection=collection_b.pk) == {"Herbarium sheets to B", "Ferns from B"}


def test_requester_me_keeps_only_ones_own_requests(api_as, coordinator_a, loans):
    client = api_as(coordinator_a)

    assert _titles(client, requester="me") == {"Ferns from B"}


def test_q_searches_reference_and_title(api_as, superuser, loans):
    client = api_as(superuser)

    assert _titles(client, q="herbarium") == {"Herbarium sheets to B"}
    assert _titles(client, q=loans["to_a"].reference.lower()) == {"Carabus to A"}


def test_updated_after_is_inclusive(api_as, superuser, loans):
    cutoff = timezone.now() - datetime.timedelta(days=1)
    LoanRequest.objects.filter(pk=loans["to_a"].pk).update(updated_at=cutoff)
    LoanRequest.objects.exclude(pk=loans["to_a"].pk).update(
        updated_at=cutoff - datetime.timedelta(days=1)
    )

    assert _titles(api_as(superuser), updated_after=cutoff.isoformat()) == {"Carabus to A"}


def test_overdue_filter_and_flag(api_as, curator_a, make_loan):
    past, future = TODAY - datetime.timedelta(days=1), TODAY + datetime.timedelta(days=30)
    make_loan(status="on_loan", due_date=past, title="late")
    make_loan(status="on_loan", due_date=future, title="in time", specimens=[])
    make_loan(status="returned", due_date=past, title="back", specimens=[])
    client = api_as(curator_a)

    assert _titles(client, overdue="true") == {"late"}
    assert _titles(client, overdue="false") == {"in time", "back"}
    flags = {loan["title"]: loan["overdue"] for loan in client.get(URL).json()["results"]}
    assert flags == {"late": True, "in time": False, "back": False}


def test_ordering_is_validated_and_applied(api_as, superuser, loans):
    client = api_as(superuser)

    response = client.get(URL, {"ordering": "title"})
    assert response.status_code == 400
    rows = client.get(URL, {"ordering": "-reference"}).json()["results"]
    references = [loan["reference"] for loan in rows]
    assert references == sorted(references, reverse=True)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "lost"}, "status"),
        ({"status": ["submitted", "lost"]}, "status"),
        ({"institution": "NO-SUCH-CODE"}, "institution"),
        ({"collection": "abc"}, "collection"),
        ({"collection": "9" * 30}, "collection"),
        ({"overdue": "maybe"}, "overdue"),
        ({"updated_after": "yesterday"}, "updated_after"),
        ({"requester": "someone-else"}, "requester"),
        ({"ordering": "-requester__password"}, "ordering"),
        ({"q": "nul\x00byte"}, "q"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_invalid_filter_values_are_a_400_naming_the_parameter(
    api_as, researcher, loans, params, parameter
):
    response = api_as(researcher).get(URL, params)

    assert response.status_code == 400, response.content
    assert list(response.json()) == [parameter]


def test_a_collection_filter_lists_a_loan_once_whatever_its_collections(
    api_as, superuser, make_loan, institution_a, collection_a
):
    other = Collection.objects.create(institution=institution_a, code="LEP", name="Lepidoptera")
    loan = make_loan(status="submitted")
    loan.collections.add(other)

    response = api_as(superuser).get(URL, {"collection": collection_a.pk})

    assert [row["id"] for row in response.json()["results"]] == [loan.pk]
