"""Working days and free places across month ends, weekends, closed days and reduced-capacity
days: what approval books and what every calendar shows."""

from __future__ import annotations

import datetime

import pytest

from visits.capacity import Availability, nearest_free_window, working_days
from visits.models import CapacityChange, ClosedDay

pytestmark = pytest.mark.django_db

D = datetime.date


def test_weekends_are_closed_by_default_across_a_month_end(institution_a):
    # Fri 2027-04-30 … Tue 2027-05-04: Saturday and Sunday do not count.
    days = working_days(institution_a, D(2027, 4, 30), D(2027, 5, 4))

    assert days == [D(2027, 4, 30), D(2027, 5, 3), D(2027, 5, 4)]


def test_closed_days_do_not_count_and_an_institution_may_open_on_saturdays(institution_a):
    ClosedDay.objects.create(institution=institution_a, date=D(2027, 5, 3), reason="Holiday")
    institution_a.open_weekdays = "123456"
    institution_a.save()

    days = working_days(institution_a, D(2027, 4, 30), D(2027, 5, 4))

    assert days == [D(2027, 4, 30), D(2027, 5, 1), D(2027, 5, 4)]


def test_a_period_ending_before_it_starts_has_no_working_day(institution_a):
    assert working_days(institution_a, D(2027, 5, 4), D(2027, 5, 3)) == []


def test_capacity_is_the_daily_one_on_working_days_reduced_where_said_and_zero_when_closed(
    institution_a, facility_a
):
    ClosedDay.objects.create(institution=institution_a, date=D(2027, 12, 31))
    CapacityChange.objects.create(facility=facility_a, date=D(2027, 12, 30), capacity=1)

    availability = Availability.of(institution_a, [facility_a], D(2027, 12, 29), D(2028, 1, 3))

    days = (D(2027, 12, 29), D(2027, 12, 30), D(2027, 12, 31), D(2028, 1, 1), D(2028, 1, 3))
    places = {day: availability.places(facility_a.pk, day) for day in days}
    assert places == {
        D(2027, 12, 29): 2,  # Wednesday: the daily capacity
        D(2027, 12, 30): 1,  # reduced
        D(2027, 12, 31): 0,  # closed day
        D(2028, 1, 1): 0,  # Saturday
        D(2028, 1, 3): 2,  # Monday, new month and year
    }


def test_free_places_subtract_what_the_ledger_has_booked(institution_a, facility_a):
    from visits.models import FacilityDay

    FacilityDay.objects.create(facility=facility_a, date=D(2027, 6, 1), capacity=2, booked=1)

    availability = Availability.of(institution_a, [facility_a], D(2027, 6, 1), D(2027, 6, 2))

    assert availability.free(facility_a.pk, D(2027, 6, 1)) == 1
    assert availability.free(facility_a.pk, D(2027, 6, 2)) == 2
    assert availability.full_days(facility_a.pk, [D(2027, 6, 1), D(2027, 6, 2)], 2) == [
        D(2027, 6, 1)
    ]


def test_the_nearest_free_window_keeps_the_length_in_working_days(institution_a, facility_a):
    from visits.models import FacilityDay

    # Mon 2027-06-07 … Wed 06-09 are full. Starting Fri 06-04 (3 days away) would need Mon and
    # Tue; starting Thu 06-10 (3 days away too) fits: Thu, Fri and, over the weekend, Mon 06-14.
    for day in (7, 8, 9):
        FacilityDay.objects.create(facility=facility_a, date=D(2027, 6, day), capacity=2, booked=2)

    window = nearest_free_window(
        institution_a, [facility_a], length=3, visitors=1,
        near=D(2027, 6, 7), earliest=D(2027, 6, 1),
    )  # fmt: skip

    assert window == (D(2027, 6, 10), D(2027, 6, 14))


def test_no_window_is_offered_before_the_earliest_day(institution_a, facility_a):
    window = nearest_free_window(
        institution_a, [facility_a], length=2, visitors=1,
        near=D(2027, 6, 7), earliest=D(2027, 6, 7),
    )  # fmt: skip

    assert window == (D(2027, 6, 7), D(2027, 6, 8))
