"""The registry is public to read: every resource lists and shows without credentials."""

from __future__ import annotations

import pytest

from collections_app.models import Collection, Facility, Institution, Instrument, Specimen

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def test_institutions_list_anonymously_with_their_collection_and_facility_counts(
    api, collection_a, facility_a, institution_b
):
    response = api.get(f"{BASE}/institutions/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is None and body["previous"] is None
    first, second = body["results"]
    assert (first["code"], first["collection_count"], first["facility_count"]) == ("INSTA", 1, 1)
    assert (second["code"], second["collection_count"], second["facility_count"]) == (
        "INSTB",
        0,
        0,
    )
    assert first["country"] == "GB"


def test_an_institution_shows_by_id(api, institution_a):
    response = api.get(f"{BASE}/institutions/{institution_a.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == "Institution A"


def test_collections_show_their_institution_as_a_summary(api, collection_a, institution_a):
    response = api.get(f"{BASE}/collections/{collection_a.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["institution"] == {
        "id": institution_a.pk,
        "code": "INSTA",
        "name": "Institution A",
    }
    assert body["accepts_loans"] is True
    assert "institution_id" not in body


def test_facilities_show_their_instruments_capacity_and_type(api, facility_a, institution_a):
    Instrument.objects.create(facility=facility_a, name="SEM", description="Scanning EM")
    Instrument.objects.create(facility=facility_a, name="CT scanner")

    body = api.get(f"{BASE}/facilities/{facility_a.pk}/").json()

    assert body["institution"]["code"] == "INSTA"
    assert body["daily_capacity"] == 2
    assert body["type"] == Facility.Type.LAB
    assert body["instruments"] == [
        {"name": "CT scanner", "description": ""},
        {"name": "SEM", "description": "Scanning EM"},
    ]


def test_specimens_show_their_collection_and_institution_code(api, specimen_a, collection_a):
    body = api.get(f"{BASE}/specimens/{specimen_a.pk}/").json()

    assert body["collection"] == {"id": collection_a.pk, "code": "ENT", "name": "Entomology"}
    assert body["institution_code"] == "INSTA"
    assert body["catalog_number"] == "A-0001"
    assert body["scientific_name"] == "Carabus auratus"
    assert body["is_available"] is True


def test_lists_page_with_next_and_previous_links(api, institution_a):
    for number in range(3):
        Collection.objects.create(institution=institution_a, code=f"C{number}", name="x")

    first = api.get(f"{BASE}/collections/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert first["count"] == 3
    assert [c["code"] for c in first["results"]] == ["C0", "C1"]
    assert [c["code"] for c in second["results"]] == ["C2"]
    assert second["next"] is None
    assert second["previous"] is not None


def test_default_order_is_stable_for_rows_that_tie(api, collection_a):
    """Same catalogue numbers in two collections: the id breaks the tie, so pages never shift."""
    other = Collection.objects.create(
        institution=collection_a.institution, code="ZOO", name="Zoology"
    )
    twin_b = Specimen.objects.create(collection=other, catalog_number="X-1")
    twin_a = Specimen.objects.create(collection=collection_a, catalog_number="X-1")

    results = api.get(f"{BASE}/specimens/", {"ordering": "catalog_number"}).json()["results"]

    assert [s["id"] for s in results] == sorted([twin_a.pk, twin_b.pk])


def test_ordering_by_a_whitelisted_field_descending(api, db):
    for code in ("AAA", "CCC", "BBB"):
        Institution.objects.create(code=code, name=code)

    results = api.get(f"{BASE}/institutions/", {"ordering": "-code"}).json()["results"]

    assert [i["code"] for i in results] == ["CCC", "BBB", "AAA"]


def test_the_api_root_lists_the_registry_resources(api):
    body = api.get(f"{BASE}/").json()

    assert {"institutions", "collections", "facilities", "specimens"} <= set(body)
