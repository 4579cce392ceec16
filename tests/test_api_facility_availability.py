"""``GET /api/v1/facilities/<id>/availability/?from=…&to=…``: a facility's places per day —
closed weekends and closed dates, reduced-capacity days, places booked by approvals — public
like the registry, with field errors for bad periods and a 404 for facilities without one."""

from __future__ import annotations

import datetime

import pytest

from elvis.workflow.service import perform
from visits.models import CapacityChange, ClosedDay

from .visits_support import approved_visit, monday_after

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _last_friday_of_a_month() -> datetime.date:
    """A Friday that is its month's last day, or the last Friday before a weekend that ends
    the month (so the period below crosses a month's end over a weekend)."""
    day = monday_after(14) + 4 * DAY
    while (day + 3 * DAY).month == day.month:
        day += 7 * DAY
    return day


FRIDAY = _last_friday_of_a_month()  # then Saturday, Sunday, Monday, Tuesday …
MONDAY = FRIDAY + 3 * DAY


@pytest.fixture
def visited(collection_a):
    collection_a.accepts_visits = True
    collection_a.save()
    return collection_a


def url(facility, start, end) -> str:
    return f"/api/v1/facilities/{facility.pk}/availability/?from={start}&to={end}"


def test_days_across_a_month_end_with_a_weekend_a_closed_day_and_a_reduced_day(
    api, institution_a, facility_a
):
    ClosedDay.objects.create(institution=institution_a, date=MONDAY, reason="Holiday")
    CapacityChange.objects.create(facility=facility_a, date=MONDAY + DAY, capacity=1)
    response = api.get(url(facility_a, FRIDAY, MONDAY + 2 * DAY))
    assert response.status_code == 200
    body = response.json()
    assert body["facility"] == facility_a.pk
    assert [
        (d["date"], d["open"], d["capacity"], d["booked"], d["free"]) for d in body["days"]
    ] == [
        (FRIDAY.isoformat(), True, 2, 0, 2),
        ((FRIDAY + DAY).isoformat(), False, 0, 0, 0),  # Saturday
        ((FRIDAY + 2 * DAY).isoformat(), False, 0, 0, 0),  # Sunday
        (MONDAY.isoformat(), False, 0, 0, 0),  # the closed day
        ((MONDAY + DAY).isoformat(), True, 1, 0, 1),  # reduced to one place
        ((MONDAY + 2 * DAY).isoformat(), True, 2, 0, 2),
    ]
    assert {d["facility"] for d in body["days"]} == {facility_a.pk}
    assert FRIDAY.month != MONDAY.month


def test_an_approval_books_places_and_withdrawal_frees_them(
    api, curator_a, researcher, visited, facility_a
):
    visit = approved_visit(
        curator=curator_a, requester=researcher, collection=visited, facility=facility_a,
        start=FRIDAY, end=MONDAY, co_visitors=1,
    )  # fmt: skip
    days = api.get(url(facility_a, FRIDAY, MONDAY + DAY)).json()["days"]
    assert [(d["booked"], d["free"]) for d in days] == [(2, 0), (0, 0), (0, 0), (2, 0), (0, 2)]
    perform(visit, "withdraw", actor=researcher)
    days = api.get(url(facility_a, FRIDAY, MONDAY + DAY)).json()["days"]
    assert [d["booked"] for d in days] == [0, 0, 0, 0, 0]


def test_one_day_and_a_whole_year_are_answered(api, facility_a):
    assert len(api.get(url(facility_a, FRIDAY, FRIDAY)).json()["days"]) == 1
    last = FRIDAY + 365 * DAY
    assert len(api.get(url(facility_a, FRIDAY, last)).json()["days"]) == 366


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("", {"from", "to"}),
        ("?from=2027-01-01", {"to"}),
        ("?to=2027-01-01", {"from"}),
        ("?from=2027-02-30&to=2027-03-01", {"from"}),
        ("?from=tomorrow&to=2027-03-01", {"from"}),
        ("?from=2027-03-02&to=2027-03-01", {"to"}),
        ("?from=2027-01-01&to=2028-01-02", {"to"}),  # 367 days: 366 is the most
        ("?from=2027-01-01&to=2027-01-02\x00", {"to"}),
    ],
)
def test_bad_periods_are_400_field_errors(api, facility_a, query, errors):
    response = api.get(f"/api/v1/facilities/{facility_a.pk}/availability/{query}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == errors
    assert all(isinstance(messages, list) and messages for messages in body.values())


def test_a_leap_year_fits_in_366_days(api, facility_a):
    response = api.get(url(facility_a, "2028-01-01", "2028-12-31"))
    assert response.status_code == 200
    assert len(response.json()["days"]) == 366


@pytest.mark.parametrize("pk", ["999999", "abc", "0.5"])
def test_unknown_facilities_are_404(api, facility_a, pk):
    response = api.get(f"/api/v1/facilities/{pk}/availability/?from=2027-01-01&to=2027-01-02")
    assert response.status_code == 404


def test_inactive_facilities_are_404(api, facility_a):
    facility_a.is_active = False
    facility_a.save()
    assert api.get(url(facility_a, FRIDAY, FRIDAY)).status_code == 404


def test_the_answer_is_public_and_signed_in_users_get_the_same(api, api_as, curator_b, facility_a):
    public = api.get(url(facility_a, FRIDAY, MONDAY))
    assert public.status_code == 200
    assert api_as(curator_b).get(url(facility_a, FRIDAY, MONDAY)).json() == public.json()


def test_the_operation_is_documented_with_its_parameters_and_response():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/facilities/{id}/availability/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert set(parameters) == {"from", "to"}
    assert all(p["required"] and p["schema"]["format"] == "date" for p in parameters.values())
    assert "400" in operation["responses"] and "404" in operation["responses"]
    day = schema["components"]["schemas"]["FacilityDay"]["properties"]
    assert set(day) == {"facility", "date", "open", "capacity", "booked", "free"}
