"""The public institution and collection pages lead somewhere: one "Request a …" link per kind
a collection takes now (from the kind registry), the contact and address, the loan terms, and
what of the collection is in the ELViS catalogue."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from collections_app.models import Specimen
from elvis.workflow.kinds import all_kinds

pytestmark = pytest.mark.django_db


@pytest.fixture
def nhm_collection(collection_a):
    institution = collection_a.institution
    institution.address = "Cromwell Road\nLondon SW7 5BD"
    institution.contact_email = "loans@nhm.example"
    institution.save()
    collection_a.specimen_count = 4_163_101
    collection_a.loan_max_days = 180
    collection_a.loan_conditions = "Return in the original packing."
    collection_a.save()
    for number in ("A-1", "A-2"):
        Specimen.objects.create(collection=collection_a, catalog_number=number)
    return collection_a


def entry_url(kind, **params) -> str:
    return f"{reverse(f'{kind.url_namespace}:create')}?{urlencode(params)}"


def test_the_institution_page_links_to_a_new_request_of_each_kind_offered(client, nhm_collection):
    nhm_collection.accepts_visits = False
    nhm_collection.save()
    institution = nhm_collection.institution

    html = client.get(reverse("institution-detail", args=[institution.pk])).content.decode()

    for kind in all_kinds():
        link = entry_url(kind, institution=institution.pk).replace("&", "&amp;")
        assert (f'href="{link}"' in html) == (kind.accepts_flag != "accepts_visits"), kind.name
    assert "Request a loan" in html and "Request digitisation" in html
    assert "Request a visit" not in html
    assert "loans@nhm.example" in html and "Cromwell Road" in html


def test_the_collection_page_links_with_the_collection_chosen_and_shows_its_terms(
    client, nhm_collection
):
    institution = nhm_collection.institution

    html = client.get(reverse("collection-detail", args=[nhm_collection.pk])).content.decode()

    for kind in all_kinds():
        link = entry_url(kind, institution=institution.pk, collection=nhm_collection.pk)
        assert f'href="{link.replace("&", "&amp;")}"' in html, kind.name
    assert "loans@nhm.example" in html and "Cromwell Road" in html
    assert "Loan terms" in html and "180 days" in html
    assert "Return in the original packing." in html


def test_the_collection_page_says_what_of_it_is_in_the_catalogue(client, nhm_collection):
    html = client.get(reverse("collection-detail", args=[nhm_collection.pk])).content.decode()

    assert "2 of 4,163,101 specimens are in the ELViS catalogue" in html
    assert "the rest are recorded in the institution" in html
    api = f"{reverse('api-specimen-list')}?collection={nhm_collection.pk}"
    assert f'href="{api}"' in html
    listed = client.get(api).json()["results"]
    assert {row["catalog_number"] for row in listed} == {"A-1", "A-2"}


def test_a_collection_not_accepting_requests_says_so_and_offers_no_link(client, nhm_collection):
    nhm_collection.accepting_requests = False
    nhm_collection.save()

    html = client.get(reverse("collection-detail", args=[nhm_collection.pk])).content.decode()
    institution_html = client.get(
        reverse("institution-detail", args=[nhm_collection.institution.pk])
    ).content.decode()

    assert "not accepting requests at the moment" in html
    for kind in all_kinds():
        assert reverse(f"{kind.url_namespace}:create") not in html
        assert reverse(f"{kind.url_namespace}:create") not in institution_html
    assert "Not accepting requests at the moment" in institution_html


def test_a_link_from_the_collection_page_opens_the_form_with_it_ticked(
    client, researcher, nhm_collection
):
    client.force_login(researcher)
    loan = next(kind for kind in all_kinds() if kind.name == "loan")
    url = entry_url(loan, institution=nhm_collection.institution.pk, collection=nhm_collection.pk)

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["form"]["collections"].value() == [nhm_collection.pk]
