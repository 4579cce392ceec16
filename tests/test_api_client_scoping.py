"""A partner system (an ``api_client`` of institution A, with a real token) acts for A only:
it sees and handles A's requests like a curator, and B's are 404 to it; it writes no registry
data, A's or B's."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from accounts.tokens import issue
from collections_app.models import Membership
from loans.models import LoanHistory, LoanRequest, LoanStatus

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"


@pytest.fixture
def client_a(make_user, institution_a):
    """The partner system of institution A, as its token authenticates it."""
    system = make_user("collections-system@inst-a.example.org", full_name="A's system")
    system.set_unusable_password()
    system.save()
    Membership.objects.create(
        user=system, institution=institution_a, role=Membership.Role.API_CLIENT
    )
    _token, key = issue(system, "integration")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    client.user = system
    return client


@pytest.fixture
def loan_b(researcher, institution_b, collection_b):
    today = datetime.date.today()
    loan = LoanRequest.objects.create(
        requester=researcher,
        institution=institution_b,
        title="Herbarium sheets of Quercus",
        purpose="Revision.",
        requested_start=today + datetime.timedelta(days=10),
        requested_end=today + datetime.timedelta(days=100),
        borrower_institution="University of Oslo",
        shipping_address="Sars gate 1, Oslo",
    )
    loan.collections.add(collection_b)
    LoanRequest.objects.filter(pk=loan.pk).update(status=LoanStatus.SUBMITTED)
    return loan


def test_the_client_lists_its_institutions_requests_only(client_a, make_loan, loan_b):
    loan_a = make_loan(status=LoanStatus.SUBMITTED)

    response = client_a.get(URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [loan_a.pk]
    assert response.json()["results"][0]["allowed_actions"] == [
        "start_review",
        "request_changes",
        "approve",
        "reject",
    ]


def test_the_client_approves_its_institutions_request_as_the_actor(client_a, make_loan):
    loan_a = make_loan(status=LoanStatus.SUBMITTED)

    response = client_a.post(f"{URL}{loan_a.pk}/approve/", {"comment": "Approved by the CMS."})

    assert response.status_code == 200
    assert response.json()["status"] == LoanStatus.APPROVED
    entry = LoanHistory.objects.get(request=loan_a, action="approve")
    assert entry.actor == client_a.user


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("post", "approve/"), ("get", "comments/"), ("post", "comments/")],
)
def test_another_institutions_request_is_a_404(client_a, loan_b, method, suffix):
    response = getattr(client_a, method)(f"{URL}{loan_b.pk}/{suffix}", {"body": "hello"})

    assert response.status_code == 404
    loan_b.refresh_from_db()
    assert loan_b.status == LoanStatus.SUBMITTED


@pytest.mark.parametrize("which", ["collection_a", "collection_b"])
def test_the_client_cannot_write_registry_data(request, client_a, which):
    collection = request.getfixturevalue(which)

    response = client_a.patch(f"/api/v1/collections/{collection.pk}/", {"name": "Renamed"})

    assert response.status_code == 403
    collection.refresh_from_db()
    assert collection.name != "Renamed"


def test_a_deactivated_client_is_refused_with_a_401(client_a, make_loan):
    make_loan(status=LoanStatus.SUBMITTED)
    client_a.user.is_active = False
    client_a.user.save()

    response = client_a.get(URL)

    assert response.status_code == 401
