"""Races with real threads, each on its own database connection: two curators approving
different visits for the last place, and approval racing withdrawal. The ledger row decides, on
SQLite (IMMEDIATE transactions) and on PostgreSQL (row locks and the conditional update), where
CI runs the suite a second time."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Sum

from elvis.workflow.errors import ActionConflict, InvalidTransition
from elvis.workflow.service import perform
from visits.models import Booking, FacilityDay, VisitRequest

from .test_workflow_races import run_together
from .visits_support import make_visit, monday

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def visit_of(researcher, outsider, institution_a, collection_a, facility_a):
    def _visit(requester, start, end, team=0):
        return make_visit(
            requester=requester, institution=institution_a, collection=collection_a,
            facilities=[facility_a], start=start, end=end, team=team, status="under_review",
        )  # fmt: skip

    return _visit


def approve(visit: VisitRequest, actor):
    return lambda: perform(VisitRequest.objects.get(pk=visit.pk), "approve", actor=actor)


def test_two_curators_approving_different_visits_for_the_last_place_exactly_one_wins(
    visit_of, researcher, outsider, curator_a, coordinator_a, facility_a
):
    # Two places a day; one is taken on Wednesday; two new visits both want that day.
    first = monday(3)
    perform(visit_of(researcher, first + datetime.timedelta(days=2),
                     first + datetime.timedelta(days=2)), "approve", actor=curator_a)  # fmt: skip
    mine = visit_of(researcher, first, first + datetime.timedelta(days=4))
    theirs = visit_of(outsider, first + datetime.timedelta(days=1), first + datetime.timedelta(3))

    results = run_together(approve(mine, curator_a), approve(theirs, coordinator_a))

    winners = [r for r in results if isinstance(r, VisitRequest)]
    losers = [r for r in results if isinstance(r, ActionConflict)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert facility_a.name in losers[0].message
    wednesday = FacilityDay.objects.get(facility=facility_a, date=first + datetime.timedelta(2))
    assert (wednesday.booked, wednesday.capacity) == (2, 2)
    statuses = set(VisitRequest.objects.values_list("status", flat=True))
    assert statuses == {"approved", "under_review"}
    for day in FacilityDay.objects.all():
        held = Booking.objects.filter(facility=day.facility, date=day.date).aggregate(
            n=Sum("places")
        )["n"]
        assert day.booked == (held or 0) <= day.capacity


def test_many_approvals_at_once_never_overbook(visit_of, researcher, curator_a, facility_a):
    visits = [visit_of(researcher, monday(3), monday(3) + datetime.timedelta(1)) for _ in range(5)]

    results = run_together(*(approve(visit, curator_a) for visit in visits))

    assert sum(isinstance(r, VisitRequest) for r in results) == 2, results
    assert all(isinstance(r, VisitRequest | ActionConflict) for r in results), results
    assert set(FacilityDay.objects.values_list("booked", flat=True)) == {2}


def test_approval_racing_withdrawal_leaves_no_places_held_by_a_withdrawn_visit(
    visit_of, researcher, curator_a, facility_a
):
    visit = visit_of(researcher, monday(3), monday(3))

    results = run_together(
        approve(visit, curator_a),
        lambda: perform(VisitRequest.objects.get(pk=visit.pk), "withdraw", actor=researcher),
    )

    assert all(isinstance(r, VisitRequest | InvalidTransition) for r in results), results
    visit.refresh_from_db()
    assert visit.status == "withdrawn"  # withdrawal wins, or follows the approval
    assert not Booking.objects.filter(visit=visit).exists()
    assert set(FacilityDay.objects.values_list("booked", flat=True)) <= {0}
