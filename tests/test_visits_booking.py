"""Approval books every visitor on every working day in every facility, refuses what would
overbook with the full days and the nearest free window, and leaving the booking frees it."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from collections_app.models import Facility
from elvis.workflow.errors import ActionConflict
from elvis.workflow.service import perform
from visits.models import Booking, CapacityChange, ClosedDay, FacilityDay, VisitRequest

from .visits_support import make_visit, monday

pytestmark = pytest.mark.django_db

ONE_DAY = datetime.timedelta(days=1)


@pytest.fixture
def lab(institution_a) -> Facility:
    return Facility.objects.create(
        institution=institution_a, name="Molecular lab", daily_capacity=3
    )


@pytest.fixture
def visit_of(researcher, institution_a, collection_a, facility_a):
    def _visit(start, end, *, team=0, facilities=None, status="under_review"):
        return make_visit(
            requester=researcher, institution=institution_a, collection=collection_a,
            facilities=facilities or [facility_a], start=start, end=end, team=team, status=status,
        )  # fmt: skip

    return _visit


def ledger(facility) -> dict[datetime.date, int]:
    return dict(FacilityDay.objects.filter(facility=facility).values_list("date", "booked"))


def assert_ledger_matches_bookings() -> None:
    for day in FacilityDay.objects.all():
        held = Booking.objects.filter(facility=day.facility, date=day.date).aggregate(
            n=Sum("places")
        )["n"]
        assert day.booked == (held or 0), day
        assert day.booked <= day.capacity, day


def test_approval_books_each_visitor_on_each_working_day_of_each_facility(
    visit_of, curator_a, facility_a, lab
):
    start = monday(3) - 3 * ONE_DAY  # a Friday: the period runs over a weekend
    visit = visit_of(start, start + 4 * ONE_DAY, team=1, facilities=[facility_a, lab])

    perform(visit, "approve", actor=curator_a)

    working = [start, start + 3 * ONE_DAY, start + 4 * ONE_DAY]
    assert ledger(facility_a) == dict.fromkeys(working, 2)
    assert ledger(lab) == dict.fromkeys(working, 2)
    assert Booking.objects.filter(visit=visit).count() == 6
    visit.refresh_from_db()
    assert (visit.confirmed_start, visit.confirmed_end) == (start, start + 4 * ONE_DAY)
    assert visit.sequence == 1
    assert_ledger_matches_bookings()


def test_approval_may_confirm_other_dates_than_proposed(visit_of, curator_a, facility_a):
    visit = visit_of(monday(3), monday(3) + 4 * ONE_DAY)

    perform(
        visit, "approve", actor=curator_a,
        confirmed_start=monday(4), confirmed_end=monday(4) + ONE_DAY,
    )  # fmt: skip

    assert set(ledger(facility_a)) == {monday(4), monday(4) + ONE_DAY}


def test_a_full_day_refuses_the_approval_naming_days_facility_and_a_free_window(
    visit_of, curator_a, facility_a
):
    first = visit_of(monday(3) + ONE_DAY, monday(3) + ONE_DAY, team=1)  # fills Tuesday
    perform(first, "approve", actor=curator_a)
    second = visit_of(monday(3), monday(3) + 2 * ONE_DAY)

    with pytest.raises(ActionConflict) as refusal:
        perform(second, "approve", actor=curator_a)

    message = refusal.value.message
    assert facility_a.name in message
    assert (monday(3) + ONE_DAY).isoformat() in message
    assert monday(3).isoformat() not in message.split("free period")[0]
    assert "nearest free period of 3 working days" in message
    second.refresh_from_db()
    assert second.status == "under_review" and second.confirmed_start is None
    assert ledger(facility_a) == {monday(3) + ONE_DAY: 2}  # the refused ledger rows rolled back
    assert not Booking.objects.filter(visit=second).exists()


def test_a_reduced_capacity_day_added_after_the_ledger_row_is_honoured(
    visit_of, curator_a, facility_a
):
    perform(visit_of(monday(3), monday(3)), "approve", actor=curator_a)  # ledger row: 1 of 2
    CapacityChange.objects.create(facility=facility_a, date=monday(3), capacity=1)

    with pytest.raises(ActionConflict):
        perform(visit_of(monday(3), monday(3)), "approve", actor=curator_a)

    assert ledger(facility_a) == {monday(3): 1}


def test_a_closed_day_added_later_is_not_booked(visit_of, curator_a, institution_a, facility_a):
    ClosedDay.objects.create(institution=institution_a, date=monday(3) + ONE_DAY)

    perform(visit_of(monday(3), monday(3) + 2 * ONE_DAY), "approve", actor=curator_a)

    assert set(ledger(facility_a)) == {monday(3), monday(3) + 2 * ONE_DAY}


@pytest.mark.parametrize("action", ["withdraw", "cancel"])
def test_leaving_an_approved_visit_frees_its_places(
    action, visit_of, curator_a, researcher, facility_a
):
    visit = perform(visit_of(monday(3), monday(3) + ONE_DAY, team=1), "approve", actor=curator_a)

    visit = perform(visit, action, actor=researcher if action == "withdraw" else curator_a)

    assert set(ledger(facility_a).values()) == {0}
    assert not Booking.objects.filter(visit=visit).exists()
    assert visit.sequence == 2


def test_shortening_an_approved_visit_frees_the_days_it_no_longer_takes(
    visit_of, curator_a, facility_a
):
    visit = perform(visit_of(monday(3), monday(3) + 4 * ONE_DAY), "approve", actor=curator_a)

    perform(
        visit, "reschedule", actor=curator_a,
        confirmed_start=monday(3), confirmed_end=monday(3) + ONE_DAY,
    )  # fmt: skip

    assert ledger(facility_a) == {
        monday(3): 1, monday(3) + ONE_DAY: 1, monday(3) + 2 * ONE_DAY: 0,
        monday(3) + 3 * ONE_DAY: 0, monday(3) + 4 * ONE_DAY: 0,
    }  # fmt: skip
    assert_ledger_matches_bookings()


def test_a_reschedule_into_full_days_changes_nothing(visit_of, curator_a, facility_a):
    visit = perform(visit_of(monday(3), monday(3)), "approve", actor=curator_a)
    perform(visit_of(monday(4), monday(4), team=1), "approve", actor=curator_a)

    with pytest.raises(ActionConflict):
        perform(
            visit, "reschedule", actor=curator_a, confirmed_start=monday(4), confirmed_end=monday(4)
        )

    visit.refresh_from_db()
    assert visit.confirmed_start == monday(3)
    assert ledger(facility_a) == {monday(3): 1, monday(4): 2}
    assert_ledger_matches_bookings()


def test_the_database_itself_refuses_an_overbooked_day(facility_a):
    day = FacilityDay.objects.create(facility=facility_a, date=monday(3), capacity=2, booked=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        FacilityDay.objects.filter(pk=day.pk).update(booked=3)


def test_a_closed_day_cannot_be_added_where_visits_are_booked(visit_of, curator_a, institution_a):
    from django.core.exceptions import ValidationError

    visit = perform(visit_of(monday(3), monday(3)), "approve", actor=curator_a)

    with pytest.raises(ValidationError) as refusal:
        ClosedDay(institution=institution_a, date=monday(3)).full_clean()

    assert visit.reference in str(refusal.value)


def test_completion_frees_the_days_after_it(visit_of, curator_a, facility_a, monkeypatch):
    first = monday(3)
    visit = perform(visit_of(first, first + 4 * ONE_DAY), "approve", actor=curator_a)
    wednesday = first + 2 * ONE_DAY
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: wednesday)

    perform(visit, "complete", actor=curator_a, actual_days=3, actual_visitors=1)

    assert ledger(facility_a) == {
        first: 1, first + ONE_DAY: 1, wednesday: 1, first + 3 * ONE_DAY: 0, first + 4 * ONE_DAY: 0,
    }  # fmt: skip
    assert VisitRequest.objects.get(pk=visit.pk).completed_on == wednesday


def test_approval_costs_the_same_number_of_queries_for_a_long_visit(visit_of, curator_a):
    perform(visit_of(monday(2), monday(2)), "approve", actor=curator_a)  # warms the caches
    short = visit_of(monday(3), monday(3))
    long = visit_of(monday(5), monday(5) + 27 * ONE_DAY)

    with CaptureQueriesContext(connection) as one_day:
        perform(short, "approve", actor=curator_a)
    with CaptureQueriesContext(connection) as twenty_days:
        perform(long, "approve", actor=curator_a)

    assert len(twenty_days) == len(one_day)
