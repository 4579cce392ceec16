"""Every kind's admin request page says who asks: ORCID iD as a link, home institution, and
their earlier requests to this institution with how they ended — never those made to others."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elvis.workflow.table import REJECTED, SUBMITTED
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db


def admin_page(client, obj) -> str:
    meta = obj._meta
    response = client.get(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_request_page_shows_the_requester_and_their_earlier_requests(
    client, kind, make, researcher, curator_a, institution_b, collection_b
):
    researcher.orcid = "0000-0003-1415-9269"
    researcher.home_institution_name = "Universidade de Lisboa"
    researcher.save()
    earlier = make(REJECTED, title="An earlier ask")
    elsewhere = make_request(
        kind, requester=researcher, institution=institution_b, collection=collection_b,
        status=SUBMITTED, title="Asked of another institution",
    )  # fmt: skip
    current = make(SUBMITTED, title="The current ask")
    client.force_login(curator_a)

    page = admin_page(client, current)
    panel = page.split('id="requester"', 1)[1].split("</div>", 1)[0]

    assert 'href="https://orcid.org/0000-0003-1415-9269"' in panel
    assert "Universidade de Lisboa" in panel
    assert earlier.reference in panel and "Rejected" in panel
    assert elsewhere.reference not in panel  # another institution's business


def test_a_first_request_says_so(client, kind, make, curator_a):
    current = make(SUBMITTED)
    client.force_login(curator_a)
    assert "this is their first request to your institution" in admin_page(client, current)
