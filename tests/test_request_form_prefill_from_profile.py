"""The profile is reused: a new request's form starts with the fields its kind maps to the
profile (``RequestKind.prefill``), and the address book fills the kind's address field, by a
select and a button the server applies (no JavaScript)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Address
from accounts.profile import PROFILE_VALUES
from elvis.workflow.kinds import all_kinds, get_kind
from tests.kinds_support import kind_names

pytestmark = pytest.mark.django_db

LAB = "Museu Nacional de História Natural\nRua da Escola Politécnica 56\n1250-102 Lisboa"


@pytest.fixture
def lisbon_researcher(researcher):
    researcher.home_institution_name = "Universidade de Lisboa"
    researcher.save()
    Address.objects.create(user=researcher, label="Lab", lines=LAB, country="PT", is_default=True)
    Address.objects.create(
        user=researcher, label="Loans desk", lines="Loans desk\nRua B 2\nLisboa", country="PT"
    )
    return researcher


def new_form_url(kind, institution) -> str:
    return reverse(f"{kind.url_namespace}:create") + f"?institution={institution.pk}"


@pytest.mark.parametrize("kind_name", kind_names())
def test_a_new_request_starts_with_what_its_kind_takes_from_the_profile(
    client, kind_name, lisbon_researcher, institution_a, collection_a
):
    kind = get_kind(kind_name)
    client.force_login(lisbon_researcher)

    form = client.get(new_form_url(kind, institution_a)).context["form"]

    expected = {
        field: PROFILE_VALUES[value](lisbon_researcher) for field, value in kind.prefill.items()
    }
    assert {field: form[field].value() for field in kind.prefill} == expected
    assert all(expected.values())


def test_a_loan_starts_with_the_home_institution_and_the_default_address(
    client, lisbon_researcher, institution_a, collection_a
):
    client.force_login(lisbon_researcher)

    page = client.get(new_form_url(get_kind("loan"), institution_a))

    form = page.context["form"]
    assert form["borrower_institution"].value() == "Universidade de Lisboa"
    assert form["shipping_address"].value() == LAB + "\nPortugal"


@pytest.mark.parametrize("kind_name", kind_names())
def test_every_institution_or_address_field_of_a_kind_is_prefilled(kind_name):
    """A kind's own field that names an institution or an address is declared in its
    ``prefill``: a new kind with such a field is not forgotten."""
    kind = get_kind(kind_name)
    own = [
        f.name
        for f in kind.model._meta.get_fields()
        if getattr(f, "editable", False) and not f.is_relation
    ]
    looks_like = [n for n in own if "institution" in n or "address" in n]
    assert set(looks_like) <= set(kind.prefill), looks_like


def test_a_saved_draft_is_not_prefilled_again(client, lisbon_researcher, make_loan):
    loan = make_loan(requester=lisbon_researcher)
    client.force_login(lisbon_researcher)

    form = client.get(reverse("loans:edit", args=[loan.pk])).context["form"]

    assert form["shipping_address"].value() == "Sars gate 1, 0562 Oslo, Norway"
    assert form["borrower_institution"].value() == "University of Oslo, Natural History Museum"


def test_choosing_an_address_fills_the_shipping_address_and_keeps_the_rest(
    client, lisbon_researcher, institution_a, collection_a
):
    desk = Address.objects.get(label="Loans desk")
    client.force_login(lisbon_researcher)
    url = new_form_url(get_kind("loan"), institution_a)
    assert 'name="_use_address"' in client.get(url).content.decode()

    page = client.post(
        url,
        {
            "title": "Carabus types",
            "shipping_address": "typed before",
            "borrower_institution": "Universidade de Lisboa",
            "address_choice": desk.pk,
            "_use_address": "1",
            "lots-TOTAL_FORMS": "0",
            "lots-INITIAL_FORMS": "0",
            "permits-TOTAL_FORMS": "0",
            "permits-INITIAL_FORMS": "0",
        },
    )

    assert page.status_code == 200
    form = page.context["form"]
    assert form["shipping_address"].value() == "Loans desk\nRua B 2\nLisboa\nPortugal"
    assert form["title"].value() == "Carabus types"
    assert not get_kind("loan").model.objects.exists()  # shown again, nothing saved


def test_someone_elses_address_cannot_be_chosen(
    client, lisbon_researcher, outsider, institution_a, collection_a
):
    theirs = Address.objects.create(user=outsider, label="Home", lines="Secret street 1")
    client.force_login(lisbon_researcher)

    page = client.post(
        new_form_url(get_kind("loan"), institution_a),
        {
            "title": "Carabus types",
            "shipping_address": "typed before",
            "address_choice": theirs.pk,
            "_use_address": "1",
            "lots-TOTAL_FORMS": "0",
            "lots-INITIAL_FORMS": "0",
            "permits-TOTAL_FORMS": "0",
            "permits-INITIAL_FORMS": "0",
        },
    )

    assert page.context["form"]["shipping_address"].value() == "typed before"
    assert "Secret street" not in page.content.decode()


def test_kinds_without_an_address_field_show_no_address_book(
    client, lisbon_researcher, institution_a, collection_a
):
    client.force_login(lisbon_researcher)
    for kind in all_kinds():
        if kind.address_field is None:
            page = client.get(new_form_url(kind, institution_a))
            assert 'name="_use_address"' not in page.content.decode()
