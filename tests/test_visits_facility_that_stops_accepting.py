"""A facility visits refer to is kept (409 through the API) and stops accepting visits instead:
new visits cannot name it, and a draft that names it cannot be submitted. An instrument a visit
names is kept too (no visit silently loses what it asked for)."""

from __future__ import annotations

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from collections_app.models import Facility, Instrument
from tests import test_api_visits_input as visit_input
from visits.models import VisitFacility, VisitFacilityInstrument, VisitRequest

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


def test_an_instrument_a_visit_names_is_never_deleted_and_the_visit_keeps_it(
    api_as, researcher, payload, microscope
):
    created = api_as(researcher).post(URL, payload, format="json")
    assert created.status_code == 201

    with pytest.raises(ProtectedError):
        microscope.delete()

    wanted = VisitFacility.objects.get(visit_id=created.json()["id"])
    assert list(wanted.instruments.all()) == [microscope]


def test_the_facility_pages_inline_delete_of_a_named_instrument_is_a_form_error(
    client, superuser, api_as, researcher, payload, facility_a, microscope
):
    assert api_as(researcher).post(URL, payload, format="json").status_code == 201
    client.force_login(superuser)
    url = reverse("admin:collections_app_facility_change", args=[facility_a.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "is_active": "on",
            "instruments-TOTAL_FORMS": "1",
            "instruments-INITIAL_FORMS": "1",
            "instruments-0-id": str(microscope.pk),
            "instruments-0-facility": str(facility_a.pk),
            "instruments-0-name": microscope.name,
            "instruments-0-DELETE": "on",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert "protected related objects" in response.content.decode()
    assert Instrument.objects.filter(pk=microscope.pk).exists()


def test_deleting_a_visit_deletes_its_instrument_rows_not_the_instrument(
    api_as, researcher, payload, microscope
):
    created = api_as(researcher).post(URL, payload, format="json")
    VisitRequest.objects.get(pk=created.json()["id"]).delete()

    assert not VisitFacilityInstrument.objects.exists()
    assert Instrument.objects.filter(pk=microscope.pk).exists()
