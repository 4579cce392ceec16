"""A facility visits refer to is kept (409 through the API) and stops accepting visits instead:
new visits cannot name it, and a draft that names it cannot be submitted."""

from __future__ import annotations

import pytest

from collections_app.models import Facility
from tests import test_api_visits_input as visit_input

pytestmark = pytest.mark.django_db
URL = visit_input.URL
# The visit API tests' fixtures: a complete visit's body and the instrument it names.
payload, microscope = visit_input.payload, visit_input.microscope


def test_deleting_a_facility_a_visit_names_is_a_409_and_keeps_it(
    api_as,
    researcher,
    coordinator_a,
    payload,
    facility_a,
):
    created = api_as(researcher).post(URL, payload, format="json")
    assert created.status_code == 201

    response = api_as(coordinator_a).delete(f"/api/v1/facilities/{facility_a.pk}/")

    assert response.status_code == 409
    assert "is_active" in response.json()["detail"]
    assert Facility.objects.filter(pk=facility_a.pk).exists()


def test_a_facility_not_accepting_visits_cannot_be_named_by_a_new_visit(
    api_as,
    researcher,
    payload,
    facility_a,
):
    Facility.objects.filter(pk=facility_a.pk).update(is_active=False)

    response = api_as(researcher).post(URL, payload, format="json")

    assert response.status_code == 400
    assert "not accepting visits" in str(response.json()["facilities"])


def test_a_draft_naming_a_facility_that_stopped_cannot_be_submitted(
    api_as,
    researcher,
    payload,
    facility_a,
):
    client = api_as(researcher)
    created = client.post(URL, payload, format="json").json()
    Facility.objects.filter(pk=facility_a.pk).update(is_active=False)

    response = client.post(f"{URL}{created['id']}/submit/", {}, format="json")

    assert response.status_code == 400
    assert "not accepting visits" in str(response.json()["facilities"])
