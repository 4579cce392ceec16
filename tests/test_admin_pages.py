"""The admin's pages: login for institution staff, lists at constant query cost, search, filters."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collections_app.admin import InstitutionFilter
from collections_app.models import (
    Collection,
    Facility,
    Institution,
    Instrument,
    Membership,
    Specimen,
)
from tests.conftest import PASSWORD

REGISTRY = ["institution", "collection", "facility", "specimen", "membership"]


def url(model: str, view: str = "changelist", *args) -> str:
    app = "accounts" if model == "user" else "collections_app"
    return reverse(f"admin:{app}_{model}_{view}", args=args)


def rows(response) -> list:
    return list(response.context["cl"].result_list)


def add_institution(make_user, n: int) -> Institution:
    """An institution with every kind of related row the lists display."""
    institution = Institution.objects.create(code=f"I{n}", name=f"Institution {n}", country="FR")
    for code in ("ENT", "BOT"):
        collection = Collection.objects.create(institution=institution, code=code, name=code)
        curator = make_user(f"curator-{n}-{code}@example.org")
        collection.curators.add(curator)
        Membership.objects.create(user=curator, institution=institution, role="curator")
        Specimen.objects.bulk_create(
            Specimen(collection=collection, catalog_number=f"{code}{i}", scientific_name="Apis")
            for i in range(3)
        )
    facility = Facility.objects.create(institution=institution, name="Lab")
    Instrument.objects.create(facility=facility, name="SEM")
    return institution


def changelist_queries(client, model: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(model)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", [*REGISTRY, "user"])
def test_changelists_cost_the_same_queries_for_few_and_many_rows(
    client, superuser, make_user, model
):
    client.force_login(superuser)
    add_institution(make_user, 1)
    few = changelist_queries(client, model)
    for n in range(2, 6):
        add_institution(make_user, n)

    assert changelist_queries(client, model) == few


@pytest.mark.parametrize("model", REGISTRY)
def test_coordinators_changelists_cost_the_same_queries_for_few_and_many_rows(
    client, coordinator_a, institution_a, make_user, model
):
    client.force_login(coordinator_a)
    few = changelist_queries(client, model)
    for n in range(2, 6):
        Membership.objects.create(
            user=coordinator_a, institution=add_institution(make_user, n), role="coordinator"
        )

    assert changelist_queries(client, model) == few


def test_curator_logs_in_through_the_admin_login_form(client, curator_a):
    response = client.post(
        url_login := reverse("admin:login"),
        {"username": curator_a.email, "password": PASSWORD, "next": reverse("admin:index")},
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert client.get(url_login).status_code == 302  # already in: on to the index


def test_researcher_cannot_log_in_to_the_admin(client, researcher):
    response = client.post(
        reverse("admin:login"), {"username": researcher.email, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["__all__"]
    assert "_auth_user_id" not in client.session


def test_the_site_is_titled_elvis_administration(client):
    assert "ELViS administration" in client.get(reverse("admin:login")).text


def test_coordinators_index_lists_the_registry_but_not_users(client, coordinator_a):
    client.force_login(coordinator_a)

    response = client.get(reverse("admin:index"))

    listed = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    registry = {m["object_name"] for app in response.context["app_list"] for m in app["models"]
                if app["app_label"] == "collections_app"}  # fmt: skip
    assert registry == {"Institution", "Collection", "Facility", "Specimen", "Membership"}
    assert "User" not in listed and "Notification" not in listed


def test_site_staff_index_lists_users(client, site_staff):
    client.force_login(site_staff)

    response = client.get(reverse("admin:index"))

    listed = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert "User" in listed


def test_institution_list_counts_collections_and_facilities(
    client, superuser, institution_a, collection_a, facility_a
):
    Collection.objects.create(institution=institution_a, code="MIN", name="Mineralogy")
    client.force_login(superuser)

    (row,) = rows(client.get(url("institution")))

    assert (row.collection_count, row.facility_count) == (2, 1)


def test_institution_page_shows_its_collections_and_facilities_inline(
    client, superuser, institution_a, collection_a, facility_a
):
    client.force_login(superuser)

    response = client.get(url("institution", "change", institution_a.pk))

    inlines = {
        inline.formset.model: list(inline.formset.queryset)
        for inline in response.context["inline_admin_formsets"]
    }
    assert inlines == {Collection: [collection_a], Facility: [facility_a]}


def test_facility_page_shows_its_instruments_inline(client, coordinator_a, facility_a):
    Instrument.objects.create(facility=facility_a, name="Micro-CT")
    client.force_login(coordinator_a)

    response = client.get(url("facility", "change", facility_a.pk))

    assert "Micro-CT" in response.text


@pytest.mark.parametrize("term", ["London", "grid.35937.3b", "nhm", "Natural History"])
def test_institutions_are_found_by_code_name_city_or_grid_id(client, superuser, term):
    nhm = Institution.objects.create(
        code="NHM", name="Natural History Museum", city="London", grid_id="grid.35937.3b"
    )
    Institution.objects.create(code="MfN", name="Museum für Naturkunde", city="Berlin")
    client.force_login(superuser)

    assert rows(client.get(url("institution"), {"q": term})) == [nhm]


@pytest.fixture
def carabids(collection_a) -> list[Specimen]:
    return [
        Specimen.objects.create(
            collection=collection_a,
            catalog_number=number,
            scientific_name=name,
            type_status=type_status,
            is_available=available,
        )
        for number, name, type_status, available in [
            ("NHMUK010000001", "Carabus auratus", "Holotype", True),
            ("NHMUK010000002", "Carabus nemoralis", "paratype of Carabus nemoralis", True),
            ("NHMUK010000003", "Pterostichus madidus", "", False),
        ]
    ]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("nhmuk010000002", [1]),
        ("NHMUK01000000", []),
        ("Carabus auratus", [0]),
        ("carabus", [0, 1]),
        ("auratus", []),
    ],
)
def test_specimens_are_found_by_exact_catalogue_number_or_name_prefix(
    client, curator_a, carabids, term, expected
):
    client.force_login(curator_a)

    assert rows(client.get(url("specimen"), {"q": term})) == [carabids[i] for i in expected]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type_status": "any"}, [0, 1]),
        ({"type_status": "none"}, [2]),
        ({"type_status": "paratype"}, [1]),
        ({"is_available__exact": "0"}, [2]),
    ],
)
def test_specimens_are_filtered_by_type_status_and_availability(
    client, curator_a, carabids, query, expected
):
    client.force_login(curator_a)

    assert rows(client.get(url("specimen"), query)) == [carabids[i] for i in expected]


def test_lists_filter_by_institution(client, superuser, specimen_a, collection_b):
    Specimen.objects.create(collection=collection_b, catalog_number="B-1")
    client.force_login(superuser)

    specimens = rows(client.get(url("specimen"), {"institution": collection_b.institution_id}))
    collections = rows(client.get(url("collection"), {"institution": collection_b.institution_id}))

    assert [s.catalog_number for s in specimens] == ["B-1"]
    assert collections == [collection_b]


def test_institution_filter_offers_only_the_users_institutions(
    client, coordinator_a, collection_a, collection_b
):
    client.force_login(coordinator_a)

    response = client.get(url("collection"))

    (spec,) = [s for s in response.context["cl"].filter_specs if isinstance(s, InstitutionFilter)]
    assert [label for _value, label in spec.lookup_choices] == ["INSTA"]


def test_a_malformed_filter_value_is_refused_not_a_server_error(client, superuser, specimen_a):
    client.force_login(superuser)

    response = client.get(url("specimen"), {"institution": "not-a-number"})

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_site_staff_add_a_user_with_the_password_twice(client, site_staff):
    client.force_login(site_staff)
    body = {"email": "New.Person@Example.org", "full_name": "New Person", "usable_password": "true"}

    mismatch = client.post(
        url("user", "add"), body | {"password1": "a-Long-pass-42", "password2": "x"}
    )
    created = client.post(
        url("user", "add"), body | {"password1": "a-Long-pass-42", "password2": "a-Long-pass-42"}
    )

    assert "password2" in mismatch.context["adminform"].form.errors
    assert created.status_code == 302
    user = site_staff.__class__.objects.get(email="new.person@example.org")
    assert user.check_password("a-Long-pass-42")
