"""Registry writes: site staff everywhere, coordinators only for their own institution.

The registry is public, so another institution's object is visible: changing it is a 403
(not a 404). Without credentials a write is a 401 carrying the token challenge.
"""

from __future__ import annotations

import pytest

from collections_app.models import Collection, Facility, Institution, Specimen

pytestmark = pytest.mark.django_db

BASE = "/api/v1"

ROLES_AND_WRITE_STATUS = [
    ("anonymous", 401),
    ("researcher", 403),
    ("curator_a", 403),
    ("coordinator_b", 403),
    ("coordinator_a", 200),
    ("site_staff", 200),
    ("superuser", 200),
]


@pytest.fixture
def client_as(request, api, api_as):
    """``client_as(role)``: an API client for a role-named fixture, or anonymous."""

    def _client(role: str):
        return api if role == "anonymous" else api_as(request.getfixturevalue(role))

    return _client


@pytest.mark.parametrize(("role", "expected"), ROLES_AND_WRITE_STATUS)
def test_who_may_update_a_collection_of_institution_a(client_as, collection_a, role, expected):
    response = client_as(role).patch(f"{BASE}/collections/{collection_a.pk}/", {"name": "Insects"})

    assert response.status_code == expected
    collection_a.refresh_from_db()
    assert (collection_a.name == "Insects") is (expected == 200)


@pytest.mark.parametrize(("role", "expected"), ROLES_AND_WRITE_STATUS)
def test_who_may_create_a_collection_in_institution_a(client_as, institution_a, role, expected):
    body = {"institution_id": institution_a.pk, "code": "NEW", "name": "New collection"}

    response = client_as(role).post(f"{BASE}/collections/", body)

    assert response.status_code == (201 if expected == 200 else expected)
    assert Collection.objects.filter(code="NEW").exists() is (expected == 200)


@pytest.mark.parametrize(("role", "expected"), ROLES_AND_WRITE_STATUS)
def test_who_may_delete_a_specimen_of_institution_a(client_as, specimen_a, role, expected):
    response = client_as(role).delete(f"{BASE}/specimens/{specimen_a.pk}/")

    assert response.status_code == (204 if expected == 200 else expected)
    assert Specimen.objects.filter(pk=specimen_a.pk).exists() is (expected != 200)


def test_an_anonymous_write_is_challenged_for_a_token(api, collection_a):
    response = api.patch(f"{BASE}/collections/{collection_a.pk}/", {"name": "Insects"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_created_collection_is_answered_with_its_institution_summary(
    api_as, coordinator_a, institution_a
):
    response = api_as(coordinator_a).post(
        f"{BASE}/collections/",
        {"institution_id": institution_a.pk, "code": "NEW", "name": "New", "accepts_loans": False},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["institution"]["code"] == "INSTA"
    assert body["accepts_loans"] is False


def test_a_coordinator_cannot_move_a_collection_to_an_institution_they_do_not_coordinate(
    api_as, coordinator_a, collection_a, institution_b
):
    response = api_as(coordinator_a).patch(
        f"{BASE}/collections/{collection_a.pk}/", {"institution_id": institution_b.pk}
    )

    assert response.status_code == 403
    collection_a.refresh_from_db()
    assert collection_a.institution_id != institution_b.pk


def test_site_staff_may_move_a_collection_between_institutions(
    api_as, site_staff, collection_a, institution_b
):
    response = api_as(site_staff).patch(
        f"{BASE}/collections/{collection_a.pk}/", {"institution_id": institution_b.pk}
    )

    assert response.status_code == 200
    assert response.json()["institution"]["code"] == "INSTB"


def test_a_coordinator_cannot_move_a_specimen_into_another_institutions_collection(
    api_as, coordinator_a, specimen_a, collection_b
):
    response = api_as(coordinator_a).patch(
        f"{BASE}/specimens/{specimen_a.pk}/", {"collection_id": collection_b.pk}
    )

    assert response.status_code == 403


def test_a_coordinator_cannot_catalogue_a_specimen_in_another_institutions_collection(
    api_as, coordinator_b, collection_a
):
    response = api_as(coordinator_b).post(
        f"{BASE}/specimens/", {"collection_id": collection_a.pk, "catalog_number": "B-1"}
    )

    assert response.status_code == 403
    assert not Specimen.objects.filter(catalog_number="B-1").exists()


def test_a_coordinator_catalogues_a_specimen_in_their_own_collection(
    api_as, coordinator_a, collection_a
):
    response = api_as(coordinator_a).post(
        f"{BASE}/specimens/",
        {"collection_id": collection_a.pk, "catalog_number": "A-2", "scientific_name": "Apis"},
    )

    assert response.status_code == 201
    assert response.json()["institution_code"] == "INSTA"


def test_a_coordinator_adds_a_facility_with_its_instruments(api_as, coordinator_a, institution_a):
    response = api_as(coordinator_a).post(
        f"{BASE}/facilities/",
        {
            "institution_id": institution_a.pk,
            "name": "CT lab",
            "type": "lab",
            "daily_capacity": 3,
            "instruments": [{"name": "Micro-CT", "description": "Bruker"}],
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["instruments"] == [{"name": "Micro-CT", "description": "Bruker"}]


def test_writing_instruments_replaces_the_list_and_keeps_those_named_again(
    api_as, coordinator_a, facility_a
):
    kept = facility_a.instruments.create(name="SEM")
    facility_a.instruments.create(name="Old camera")

    response = api_as(coordinator_a).patch(
        f"{BASE}/facilities/{facility_a.pk}/",
        {"instruments": [{"name": "SEM", "description": "Updated"}, {"name": "Drone"}]},
        format="json",
    )

    assert response.status_code == 200
    assert [i["name"] for i in response.json()["instruments"]] == ["Drone", "SEM"]
    kept.refresh_from_db()
    assert kept.description == "Updated"


def test_leaving_instruments_out_of_a_patch_keeps_them(api_as, coordinator_a, facility_a):
    facility_a.instruments.create(name="SEM")

    response = api_as(coordinator_a).patch(
        f"{BASE}/facilities/{facility_a.pk}/", {"daily_capacity": 5}
    )

    assert response.status_code == 200
    assert [i["name"] for i in response.json()["instruments"]] == ["SEM"]


@pytest.mark.parametrize(("role", "expected"), ROLES_AND_WRITE_STATUS)
def test_who_may_update_institution_a(client_as, institution_a, role, expected):
    response = client_as(role).patch(f"{BASE}/institutions/{institution_a.pk}/", {"city": "London"})

    assert response.status_code == expected
    institution_a.refresh_from_db()
    assert (institution_a.city == "London") is (expected == 200)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("researcher", 403),
        ("coordinator_a", 403),
        ("site_staff", 201),
    ],
)
def test_only_site_staff_add_institutions(client_as, institution_a, role, expected):
    response = client_as(role).post(f"{BASE}/institutions/", {"code": "NEW", "name": "New"})

    assert response.status_code == expected
    assert Institution.objects.filter(code="NEW").exists() is (expected == 201)


@pytest.mark.parametrize(("role", "expected"), [("coordinator_a", 403), ("site_staff", 204)])
def test_only_site_staff_remove_institutions(client_as, institution_a, role, expected):
    response = client_as(role).delete(f"{BASE}/institutions/{institution_a.pk}/")

    assert response.status_code == expected


def test_a_coordinator_of_b_gets_a_403_not_a_404_for_a_visible_facility(
    api_as, coordinator_b, facility_a
):
    response = api_as(coordinator_b).put(
        f"{BASE}/facilities/{facility_a.pk}/",
        {"institution_id": facility_a.institution_id, "name": "Mine now", "type": "lab"},
    )

    assert response.status_code == 403
    assert Facility.objects.get(pk=facility_a.pk).name == "Imaging suite"


def test_writes_to_an_unknown_id_are_a_404_for_those_who_may_write(api_as, coordinator_a, db):
    response = api_as(coordinator_a).patch(f"{BASE}/collections/999999/", {"name": "x"})

    assert response.status_code == 404
