"""A visit through the API: the draft with its team and facilities, and every bad input the
issue names answered with a 400 naming the field (or a 409 for the state), nothing changed."""

from __future__ import annotations

import datetime

import pytest

from collections_app.models import Facility, Instrument
from elvis.workflow.service import perform
from visits.models import ClosedDay, VisitReport, VisitRequest

from .visits_support import make_visit, monday

pytestmark = pytest.mark.django_db

URL = "/api/v1/visit-requests/"
ONE_DAY = datetime.timedelta(days=1)


@pytest.fixture
def microscope(facility_a) -> Instrument:
    return Instrument.objects.create(facility=facility_a, name="SEM")


@pytest.fixture
def payload(institution_a, collection_a, facility_a, microscope) -> dict:
    return {
        "institution": institution_a.pk,
        "collections": [collection_a.pk],
        "title": "Revision of Carabus",
        "purpose": "Morphological revision of the genus.",
        "proposed_start": monday(3).isoformat(),
        "proposed_end": (monday(3) + 4 * ONE_DAY).isoformat(),
        "methods": "SEM of male genitalia.",
        "work_plan": "Week 1: sorting. Week 2: imaging.",
        "special_needs": "Step-free access.",
        "co_visitors": [{"name": "Ana Lima", "email": "ana@example.org", "orcid": ""}],
        "facilities": [{"facility": facility_a.pk, "instruments": [microscope.pk]}],
    }


def test_a_researcher_creates_and_submits_a_visit_with_its_team_and_facilities(
    api_as, researcher, payload, facility_a
):
    client = api_as(researcher)

    created = client.post(URL, payload, format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["reference"].startswith("VISIT-")
    assert body["co_visitors"] == [
        {"id": body["co_visitors"][0]["id"], "name": "Ana Lima", "email": "ana@example.org",
         "orcid": "", "confirmed": False}
    ]  # fmt: skip
    assert body["facilities"][0]["facility"]["id"] == facility_a.pk
    submitted = client.post(f"{URL}{body['id']}/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "submitted"


def _later(payload: dict, **changes) -> dict:
    return {**payload, **changes}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"proposed_end": (monday(3) - ONE_DAY).isoformat()}, "proposed_end"),
        ({"proposed_start": (datetime.date.today() - ONE_DAY).isoformat()}, "proposed_start"),
        ({"proposed_end": (monday(3) + 100 * ONE_DAY).isoformat()}, "proposed_end"),
        ({"proposed_end": (monday(3) + 1000 * ONE_DAY).isoformat()}, "proposed_end"),
        ({"proposed_start": (monday(3) - 2 * ONE_DAY).isoformat(),
          "proposed_end": (monday(3) - ONE_DAY).isoformat()}, "proposed_start"),
        ({"co_visitors": [{"name": "A", "email": "a@example.org"},
                          {"name": "B", "email": "A@Example.org"}]}, "co_visitors"),
        ({"co_visitors": [{"name": "Me", "email": "researcher@example.org"}]}, "co_visitors"),
        ({"co_visitors": [{"name": "A", "email": "a@example.org", "orcid": "0000-0000-0000-0002"}]},
         "co_visitors"),
        ({"facilities": [{"facility": 999999}]}, "facilities"),
    ],
    ids=["end-before-start", "start-in-past", "too-long", "far-too-long", "weekend-only",
         "e-mail-twice", "requester-again", "bad-orcid", "no-such-facility"],
)  # fmt: skip
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(
    api_as, researcher, payload, change, field
):
    response = api_as(researcher).post(URL, _later(payload, **change), format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not VisitRequest.objects.exists()


def test_a_team_larger_than_a_facility_ever_holds_is_refused(api_as, researcher, payload):
    team = [{"name": f"M{n}", "email": f"m{n}@example.org"} for n in range(2)]  # 3 visitors > 2

    response = api_as(researcher).post(URL, _later(payload, co_visitors=team), format="json")

    assert response.status_code == 400
    assert "holds at most 2 visitors" in str(response.json()["facilities"])


def test_facilities_collections_and_instruments_of_another_institution_are_refused(
    api_as, researcher, payload, institution_b, collection_b, facility_a
):
    theirs = Facility.objects.create(institution=institution_b, name="B lab", daily_capacity=5)
    other_instrument = Instrument.objects.create(facility=theirs, name="CT scanner")
    client = api_as(researcher)

    cases = [
        (_later(payload, facilities=[{"facility": theirs.pk}]), "facilities"),
        (_later(payload, collections=[collection_b.pk]), "collections"),
        (_later(payload, facilities=[{"facility": facility_a.pk,
                                      "instruments": [other_instrument.pk]}]), "facilities"),
    ]  # fmt: skip
    for body, field in cases:
        response = client.post(URL, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()
    assert not VisitRequest.objects.exists()


def test_a_period_of_closed_days_only_is_refused(api_as, researcher, payload, institution_a):
    ClosedDay.objects.create(institution=institution_a, date=monday(3))

    response = api_as(researcher).post(
        URL, _later(payload, proposed_end=monday(3).isoformat()), format="json"
    )

    assert response.status_code == 400
    assert "receives no visitors" in response.json()["proposed_start"][0]


@pytest.fixture
def completed(researcher, curator_a, institution_a, collection_a, facility_a):
    visit = make_visit(
        requester=researcher, institution=institution_a, collection=collection_a,
        facilities=[facility_a], start=monday(3), end=monday(3), status="under_review",
    )  # fmt: skip
    visit = perform(visit, "approve", actor=curator_a)
    VisitRequest.objects.filter(pk=visit.pk).update(
        status="completed", completed_on=datetime.date.today()
    )
    return visit


def test_a_report_before_completion_is_a_409(api_as, researcher, curator_a, completed):
    VisitRequest.objects.filter(pk=completed.pk).update(status="approved")

    response = api_as(researcher).post(
        f"{URL}{completed.pk}/submit_report/", {"specimens_examined": 3}, format="json"
    )

    assert response.status_code == 409
    assert not VisitReport.objects.exists()


def test_the_report_closes_the_visit_and_a_second_one_is_a_409(api_as, researcher, completed):
    client = api_as(researcher)
    body = {
        "specimens_examined": 140,
        "publications": "Lima A. (2027) Carabus. Zootaxa. doi:10.11646/zootaxa.5001.1.1",
        "datasets": "https://doi.org/10.15468/dl.abcd12",
        "summary": "Two new species.",
    }

    first = client.post(f"{URL}{completed.pk}/submit_report/", body, format="json")
    second = client.post(f"{URL}{completed.pk}/submit_report/", body, format="json")

    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "closed"
    assert first.json()["report"]["publications"] == [
        {"citation": body["publications"], "doi": "10.11646/zootaxa.5001.1.1"}
    ]
    assert second.status_code == 409
    assert VisitReport.objects.count() == 1


def test_a_publication_without_a_doi_is_a_400(api_as, researcher, completed):
    response = api_as(researcher).post(
        f"{URL}{completed.pk}/submit_report/",
        {"specimens_examined": 1, "publications": "A paper in a journal"},
        format="json",
    )

    assert response.status_code == 400
    assert "publications" in response.json()
    assert not VisitReport.objects.exists()


def test_an_approval_that_would_overbook_is_a_409_naming_the_full_days(
    api_as, researcher, curator_a, institution_a, collection_a, facility_a
):
    full = make_visit(
        requester=researcher, institution=institution_a, collection=collection_a,
        facilities=[facility_a], start=monday(3), end=monday(3), team=1, status="submitted",
    )  # fmt: skip
    perform(full, "approve", actor=curator_a)
    wanting = make_visit(
        requester=researcher, institution=institution_a, collection=collection_a,
        facilities=[facility_a], start=monday(3), end=monday(3) + ONE_DAY, status="submitted",
    )  # fmt: skip

    response = api_as(curator_a).post(f"{URL}{wanting.pk}/approve/", {}, format="json")

    assert response.status_code == 409
    assert monday(3).isoformat() in response.json()["detail"]
    assert "nearest free period" in response.json()["detail"]
