"""Bad input gets a clear answer: a 400 naming the parameter, a 404 for unknown ids, never a 500."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError

from collections_app.models import Collection
from elvis.api.exceptions import exception_handler

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


@pytest.mark.parametrize(
    ("endpoint", "params", "parameter"),
    [
        ("institutions", {"updated_after": "yesterday"}, "updated_after"),
        ("institutions", {"updated_after": "2026-13-45T00:00:00"}, "updated_after"),
        ("institutions", {"updated_after": "0001-01-01T00:00:00+14:00"}, "updated_after"),
        ("institutions", {"country": "United Kingdom"}, "country"),
        ("institutions", {"ordering": "password"}, "ordering"),
        ("institutions", {"q": "nul\x00byte"}, "q"),
        ("collections", {"institution": "NO-SUCH-CODE"}, "institution"),
        ("collections", {"institution": "nul\x00byte"}, "institution"),
        ("specimens", {"collection_code": "nul\x00byte"}, "collection_code"),
        ("collections", {"institution_id": "abc"}, "institution_id"),
        ("collections", {"accepts_loans": "yes please"}, "accepts_loans"),
        ("collections", {"ordering": "code,secret"}, "ordering"),
        ("facilities", {"type": "spaceship"}, "type"),
        ("facilities", {"min_capacity": "lots"}, "min_capacity"),
        ("facilities", {"min_capacity": "1.5"}, "min_capacity"),
        ("facilities", {"min_capacity": "-1"}, "min_capacity"),
        ("facilities", {"min_capacity": "9" * 30}, "min_capacity"),
        ("specimens", {"is_available": "maybe"}, "is_available"),
        ("specimens", {"collection": "abc"}, "collection"),
        ("specimens", {"collection": "9" * 30}, "collection"),
        ("specimens", {"ordering": "-password"}, "ordering"),
        ("specimens", {"page": "abc"}, "page"),
        ("specimens", {"page": "0"}, "page"),
        ("specimens", {"page": "-3"}, "page"),
        ("specimens", {"page_size": "0"}, "page_size"),
        ("specimens", {"page_size": "-1"}, "page_size"),
        ("specimens", {"page_size": "abc"}, "page_size"),
        ("specimens", {"page_size": "100000"}, "page_size"),
    ],
)
def test_garbage_query_parameters_are_a_400_naming_the_parameter(
    api, collection_a, endpoint, params, parameter
):
    response = api.get(f"{BASE}/{endpoint}/", params)

    assert response.status_code == 400, response.content
    assert list(response.json()) == [parameter]


def test_every_invalid_filter_is_reported_at_once(api, db):
    response = api.get(f"{BASE}/specimens/", {"is_available": "maybe", "updated_after": "soon"})

    assert response.status_code == 400
    assert set(response.json()) == {"is_available", "updated_after"}


def test_a_page_past_the_end_is_a_404(api, collection_a):
    response = api.get(f"{BASE}/collections/", {"page": 2})

    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", ["institutions", "collections", "facilities", "specimens"])
@pytest.mark.parametrize("object_id", ["999999", "abc", "1.5", "9" * 30])
def test_unknown_or_malformed_ids_are_a_404(api, db, endpoint, object_id):
    response = api.get(f"{BASE}/{endpoint}/{object_id}/")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_a_duplicate_collection_code_in_the_same_institution_is_a_field_error(
    api_as, coordinator_a, collection_a, institution_a
):
    response = api_as(coordinator_a).post(
        f"{BASE}/collections/",
        {"institution_id": institution_a.pk, "code": "ENT", "name": "Entomology again"},
    )

    assert response.status_code == 400
    assert list(response.json()) == ["code"]


def test_the_same_collection_code_in_another_institution_is_fine(
    api_as, site_staff, collection_a, institution_b
):
    response = api_as(site_staff).post(
        f"{BASE}/collections/", {"institution_id": institution_b.pk, "code": "ENT", "name": "Ent"}
    )

    assert response.status_code == 201


def test_renaming_a_collection_to_a_taken_code_is_a_field_error(
    api_as, coordinator_a, collection_a, institution_a
):
    other = Collection.objects.create(institution=institution_a, code="BOT", name="Botany")

    response = api_as(coordinator_a).patch(f"{BASE}/collections/{other.pk}/", {"code": "ENT"})

    assert response.status_code == 400
    assert list(response.json()) == ["code"]


def test_a_duplicate_grscicoll_key_is_a_field_error_not_a_database_error(
    api_as, site_staff, collection_a, institution_a
):
    Collection.objects.filter(pk=collection_a.pk).update(grscicoll_key="key-1")

    response = api_as(site_staff).post(
        f"{BASE}/collections/",
        {
            "institution_id": institution_a.pk,
            "code": "NEW",
            "name": "New",
            "grscicoll_key": "key-1",
        },
    )

    assert response.status_code == 400
    assert list(response.json()) == ["grscicoll_key"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "NEW", "name": "New", "country": "Germany"}, "country"),
        ({"code": "INSTA", "name": "Duplicate"}, "code"),
        ({"name": "No code"}, "code"),
        ({"code": "NEW", "name": "New", "total_specimens": 10**30}, "total_specimens"),
    ],
)
def test_invalid_institutions_are_refused_with_field_errors(
    api_as, site_staff, institution_a, body, field
):
    response = api_as(site_staff).post(f"{BASE}/institutions/", body)

    assert response.status_code == 400
    assert field in response.json()


def test_a_lower_case_country_code_is_stored_upper_case(api_as, site_staff, db):
    response = api_as(site_staff).post(
        f"{BASE}/institutions/", {"code": "NEW", "name": "New", "country": "de"}
    )

    assert response.status_code == 201
    assert response.json()["country"] == "DE"


def test_an_unknown_institution_id_is_a_field_error(api_as, site_staff, db):
    response = api_as(site_staff).post(
        f"{BASE}/collections/", {"institution_id": 999999, "code": "X", "name": "X"}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["institution_id"]


def test_repeating_an_instrument_name_is_a_field_error(api_as, coordinator_a, facility_a):
    response = api_as(coordinator_a).patch(
        f"{BASE}/facilities/{facility_a.pk}/",
        {"instruments": [{"name": "SEM"}, {"name": "SEM"}]},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["instruments"]


def test_a_database_conflict_that_raced_past_validation_is_a_409():
    response = exception_handler(IntegrityError("duplicate key"), {})

    assert response.status_code == 409
    assert "detail" in response.data


def test_a_model_validation_error_from_deeper_code_is_a_400_with_field_errors():
    exc = DjangoValidationError({"code": ["Bad code."]})

    response = exception_handler(exc, {})

    assert response.status_code == 400
    assert response.data == {"code": ["Bad code."]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/specimens/", "/api/v1/institutions/", "/api/v1/loan-requests/"]
)
def test_updated_after_with_an_extreme_but_valid_offset_is_answered_not_a_500(
    api_as, researcher, path
):
    response = api_as(researcher).get(path, {"updated_after": "0520-10-27T17:18:18+23:23"})
    assert response.status_code == 200
