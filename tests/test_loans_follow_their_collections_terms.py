"""A collection's loan terms: the longest loan period and whether permits are required,
enforced on the request form and at submission (every face), and shown beside the choice."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from loans.models import LoanRequest, Permit
from tests.test_pages_loans_researcher import create_url, days, request_data

pytestmark = pytest.mark.django_db
URL = "/api/v1/loan-requests/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def strict(collection_a):
    """Institution A's collection lends for 60 days at most, with permits."""
    collection_a.loan_max_days = 60
    collection_a.loan_conditions = "Pinned material travels in its own unit trays."
    collection_a.loan_permits_required = True
    collection_a.save()
    return collection_a


@pytest.fixture
def as_researcher(client, researcher):
    client.force_login(researcher)
    return client


def test_the_form_shows_the_terms_beside_the_collections(as_researcher, strict):
    html = as_researcher.get(create_url(strict.institution)).content.decode()

    assert "Loan terms of the collections" in html
    assert "Pinned material travels in its own unit trays." in html
    assert "60 days" in html and "Required: give the permits" in html


@pytest.mark.parametrize(("end", "refused"), [(70, False), (71, True)])
def test_the_form_refuses_a_period_longer_than_the_longest_loan(
    as_researcher, strict, end, refused
):
    data = request_data(strict, requested_start=days(10), requested_end=days(end), _save="1")

    response = as_researcher.post(create_url(strict.institution), data)

    if refused:
        assert response.status_code == 400
        errors = response.context["form"].errors["requested_end"]
        assert "ENT lend for at most 60 days" in errors[0] and days(70) in errors[0]
        assert not LoanRequest.objects.exists()
    else:
        assert response.status_code == 302 and LoanRequest.objects.count() == 1


def test_the_smallest_maximum_of_the_chosen_collections_applies(
    api_as, researcher, make_loan, strict, collection_a
):
    other = type(collection_a).objects.create(
        institution=collection_a.institution, code="BOT", name="Herbarium", loan_max_days=30
    )
    strict.loan_permits_required = False
    strict.save()
    loan = make_loan()
    loan.collections.add(other)
    LoanRequest.objects.filter(pk=loan.pk).update(
        requested_end=loan.requested_start + datetime.timedelta(days=31)
    )

    response = api_as(researcher).post(f"{URL}{loan.pk}/submit/", {}, format="json")

    assert response.status_code == 400
    assert "BOT lend for at most 30 days" in response.json()["requested_end"][0]


def test_the_api_submission_needs_a_permit_with_its_document(
    api_as, researcher, make_loan, strict, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    loan = make_loan()
    LoanRequest.objects.filter(pk=loan.pk).update(requested_end=loan.requested_start)
    client = api_as(researcher)

    refused = client.post(f"{URL}{loan.pk}/submit/", {}, format="json")
    document = client.post(
        f"{URL}{loan.pk}/attachments/",
        {"file": SimpleUploadedFile("cites.pdf", PDF, "application/pdf")},
        format="multipart",
    )
    Permit.objects.create(
        loan=loan,
        type=Permit.Type.CITES,
        number="GB-123",
        issuing_authority="APHA",
        document_id=document.json()["id"],
    )
    accepted = client.post(f"{URL}{loan.pk}/submit/", {}, format="json")

    assert refused.status_code == 400
    assert "ENT lend only with permits" in refused.json()["permits"][0]
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "submitted"


def test_the_page_submission_says_why_without_a_permit(as_researcher, strict, specimen_a):
    data = request_data(strict, requested_end=days(40), specimens=[specimen_a.pk], _submit="1")

    response = as_researcher.post(create_url(strict.institution), data)

    assert response.status_code == 400
    assert "ENT lend only with permits" in response.content.decode()
    assert LoanRequest.objects.get().status == "draft"
