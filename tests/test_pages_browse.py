"""The public registry pages: browse institutions → collections → facilities, and 404s."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collections_app.models import (
    Collection,
    Facility,
    Institution,
    Instrument,
    Membership,
    Specimen,
)

pytestmark = pytest.mark.django_db


def add_institution(code: str, **fields) -> Institution:
    """An institution with two collections and a facility with two instruments."""
    fields.setdefault("name", f"Museum {code}")
    institution = Institution.objects.create(code=code, **fields)
    for coll_code in ("ENT", "BOT"):
        Collection.objects.create(institution=institution, code=coll_code, name=coll_code)
    facility = Facility.objects.create(institution=institution, name="Lab", daily_capacity=3)
    Instrument.objects.create(facility=facility, name="SEM")
    Instrument.objects.create(facility=facility, name="Micro-CT")
    return institution


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# -- home ----------------------------------------------------------------------------------------


def test_home_lists_institutions_with_country_and_counts(client, institution_a, collection_a):
    Facility.objects.create(institution=institution_a, name="Imaging", daily_capacity=1)
    Facility.objects.create(institution=institution_a, name="Closed", is_active=False)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    row = next(i for i in response.context["institutions"] if i.pk == institution_a.pk)
    assert (row.collection_count, row.facility_count) == (1, 1)
    html = response.content.decode()
    assert "Institution A" in html
    assert reverse("institution-detail", args=[institution_a.pk]) in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "natural"}, {"NHM"}),
        ({"q": "nhm"}, {"NHM"}),
        ({"q": "berlin"}, {"MfN"}),
        ({"country": "de"}, {"MfN"}),
        ({"q": "museum", "country": "GB"}, {"NHM"}),
        ({"q": "nothing like this"}, set()),
        ({}, {"NHM", "MfN"}),
    ],
)
def test_home_filters_institutions_by_search_and_country(client, query, expected):
    Institution.objects.create(
        code="NHM", name="Natural History Museum", country="GB", city="London"
    )
    Institution.objects.create(
        code="MfN", name="Museum für Naturkunde", country="DE", city="Berlin"
    )

    response = client.get(reverse("home"), query)

    assert {i.code for i in response.context["institutions"]} == expected


def test_home_keeps_the_search_in_the_form_and_offers_known_countries(client, institution_a):
    Institution.objects.create(code="X", name="Xylotheque", country="BE")

    response = client.get(reverse("home"), {"q": "Xylo", "country": "BE"})

    html = response.content.decode()
    assert 'value="Xylo"' in html
    assert '<option value="BE" selected>' in html
    assert list(response.context["countries"]) == ["BE", "GB"]


def test_home_paginates_and_keeps_the_filters_in_page_links(client):
    for n in range(30):
        Institution.objects.create(code=f"I{n:02}", name=f"Museum {n:02}", country="FR")

    first = client.get(reverse("home"), {"country": "FR"})
    second = client.get(reverse("home"), {"country": "FR", "page": 2})

    assert len(first.context["institutions"]) == 25
    assert "?country=FR&amp;page=2" in first.content.decode()
    assert len(second.context["institutions"]) == 5


@pytest.mark.parametrize("page", ["abc", "999", "-1"])
def test_home_shows_the_nearest_page_for_a_bad_page_number(client, institution_a, page):
    response = client.get(reverse("home"), {"page": page})

    assert response.status_code == 200
    assert [i.code for i in response.context["institutions"]] == ["INSTA"]


def test_home_query_count_does_not_grow_with_institutions(client):
    add_institution("FIRST")
    few = query_count(client, reverse("home"))
    for n in range(8):
        add_institution(f"MORE{n}")

    assert query_count(client, reverse("home")) == few


# -- institution page ----------------------------------------------------------------------------


def test_institution_page_lists_collections_with_their_access(client, institution_a):
    Collection.objects.create(
        institution=institution_a,
        code="ENT",
        name="Entomology",
        specimen_count=1234567,
        accepts_loans=True,
        accepts_visits=False,
        accepts_digitisation=True,
    )

    response = client.get(reverse("institution-detail", args=[institution_a.pk]))

    html = response.content.decode()
    assert "Entomology" in html
    assert "1,234,567" in html
    row = html[html.index("Entomology") :]
    row = row[: row.index("</tr>")]
    assert "Loans" in row
    assert "Digitisation" in row
    assert "Visits" not in row


def test_institution_page_lists_active_facilities_with_instruments_and_capacity(
    client, institution_a, facility_a
):
    Instrument.objects.create(facility=facility_a, name="Scanning electron microscope")
    Facility.objects.create(institution=institution_a, name="Closed darkroom", is_active=False)

    response = client.get(reverse("institution-detail", args=[institution_a.pk]))

    html = response.content.decode()
    assert "Imaging suite" in html
    assert "Scanning electron microscope" in html
    assert "2 visitor places per day" in html
    assert "Closed darkroom" not in html


def test_institution_page_shows_details_and_links_only_identifiers_that_are_urls(client):
    institution = Institution.objects.create(
        code="CSIC (MNCN)",
        name="Museo Nacional de Ciencias Naturales",
        country="ES",
        city="Madrid",
        website="https://www.mncn.csic.es/",
        ror_id="https://ror.org/02v6zg374",
        grid_id="grid.420025.1",
        cetaf_id="javascript:alert(1)",
        total_specimens=10_000_000,
    )

    response = client.get(reverse("institution-detail", args=[institution.pk]))

    html = response.content.decode()
    assert "Madrid" in html
    assert "10,000,000" in html
    assert '<a href="https://www.mncn.csic.es/"' in html
    assert '<a href="https://ror.org/02v6zg374"' in html
    assert "grid.420025.1" in html
    assert 'href="grid.420025.1"' not in html
    assert 'href="javascript:' not in html


def test_institution_page_query_count_does_not_grow_with_collections_and_facilities(client):
    small = add_institution("SMALL")
    large = add_institution("LARGE")
    for n in range(6):
        Collection.objects.create(institution=large, code=f"C{n}", name=f"Coll {n}")
        facility = Facility.objects.create(institution=large, name=f"Lab {n}")
        Instrument.objects.create(facility=facility, name="Microscope")
        Instrument.objects.create(facility=facility, name="Freezer")

    small_count = query_count(client, reverse("institution-detail", args=[small.pk]))
    large_count = query_count(client, reverse("institution-detail", args=[large.pk]))

    assert large_count == small_count


# -- collection page -----------------------------------------------------------------------------


@pytest.fixture
def beetles(collection_a) -> Collection:
    names = ["Carabus auratus", "Carabus nemoralis", "Cicindela campestris", "Dytiscus marginalis"]
    for n, name in enumerate(names, start=1):
        Specimen.objects.create(
            collection=collection_a, catalog_number=f"ENT-{n:04}", scientific_name=name
        )
    return collection_a


def test_collection_page_shows_details_and_a_sample_of_specimens(client, beetles):
    response = client.get(reverse("collection-detail", args=[beetles.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Entomology" in html
    assert "Institution A" in html
    assert "4 specimens" in html
    assert "Dytiscus marginalis" in html


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("carabus", ["ENT-0001", "ENT-0002"]),
        ("Cicindela camp", ["ENT-0003"]),
        ("ENT-0004", ["ENT-0004"]),
        ("auratus", []),
    ],
)
def test_collection_page_searches_by_catalogue_number_or_name_prefix(client, beetles, q, expected):
    response = client.get(reverse("collection-detail", args=[beetles.pk]), {"q": q})

    assert [s.catalog_number for s in response.context["specimens"]] == expected


def test_collection_page_search_stays_within_the_collection(client, beetles, collection_b):
    Specimen.objects.create(
        collection=collection_b, catalog_number="B-1", scientific_name="Carabus violaceus"
    )

    response = client.get(reverse("collection-detail", args=[beetles.pk]), {"q": "Carabus"})

    assert "Carabus violaceus" not in response.content.decode()


def test_collection_page_paginates_specimens_in_a_constant_number_of_queries(client, beetles):
    url = reverse("collection-detail", args=[beetles.pk])
    few = query_count(client, url)
    Specimen.objects.bulk_create(
        Specimen(collection=beetles, catalog_number=f"ZZ-{n:04}") for n in range(50)
    )

    assert query_count(client, url) == few
    response = client.get(url, {"page": 3})
    assert len(response.context["specimens"]) == 14
    assert "Page 3 of 3" in response.content.decode()


# -- not found and navigation --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["institution-detail", "collection-detail"])
def test_unknown_pk_shows_the_404_page(client, name):
    response = client.get(reverse(name, args=[999_999]))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_500_page_renders_without_a_request_or_database():
    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html


def admin_links(client) -> int:
    return client.get(reverse("home")).content.decode().count(f'href="{reverse("admin:index")}"')


@pytest.mark.parametrize(
    ("roles", "admin_link_count"),
    [
        ((), 0),
        (("api_client",), 0),
        (("curator",), 1),
        (("coordinator",), 1),
        (("api_client", "curator", "coordinator"), 1),
    ],
)
def test_navigation_offers_the_admin_once_to_curators_and_coordinators(
    client, researcher, institution_a, institution_b, roles, admin_link_count
):
    for institution in (institution_a, institution_b):
        for role in roles:
            Membership.objects.create(user=researcher, institution=institution, role=role)
    client.force_login(researcher)

    assert admin_links(client) == admin_link_count


@pytest.mark.parametrize("role", ["site_staff", "superuser"])
def test_navigation_offers_the_admin_to_site_staff(client, request, role):
    client.force_login(request.getfixturevalue(role))

    assert admin_links(client) == 1


def test_navigation_has_landmarks_skip_link_and_api_docs(client):
    html = client.get(reverse("home")).content.decode()

    assert '<html lang="en">' in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert f'href="{reverse("api-docs")}"' in html
    assert f'href="{reverse("login")}"' in html
    assert f'href="{reverse("signup")}"' in html
