"""Each feed shows exactly the visits of what it follows: an institution's, a facility's, or
the owner's own — never another institution's, another facility's or another researcher's."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from collections_app.models import Collection, Facility
from visits.models import CalendarFeed, VisitRequest

from .visits_ical_support import approved_visit, events, feed_for

pytestmark = pytest.mark.django_db

Scope = CalendarFeed.Scope


@pytest.fixture
def world(
    researcher, outsider, curator_a, curator_b, institution_a, institution_b, collection_a,
    facility_a,
):  # fmt: skip
    """Visits to A by two researchers (one using the imaging suite), and one to B."""
    collection_b = Collection.objects.create(
        institution=institution_b, code="BOT", name="Herbarium", discipline="Botany"
    )
    facility_b = Facility.objects.create(institution=institution_b, name="Lab B", daily_capacity=5)
    at_a = {"curator": curator_a, "institution": institution_a, "collection": collection_a}
    return {
        "imaging": approved_visit(requester=researcher, facilities=(facility_a,), **at_a),
        "workspace": approved_visit(requester=outsider, weeks_ahead=3, **at_a),
        "at_b": approved_visit(
            requester=researcher,
            curator=curator_b,
            institution=institution_b,
            collection=collection_b,
            facilities=(facility_b,),
            weeks_ahead=4,
        ),
    }


def references(world, *names: str) -> set[str]:
    return {world[name].reference for name in names}


def test_an_institution_feed_shows_every_confirmed_visit_to_it_and_no_other(
    world, curator_a, institution_a
):
    token = feed_for(curator_a, Scope.INSTITUTION, institution=institution_a)

    assert set(events(token)) == references(world, "imaging", "workspace")


def test_a_facility_feed_shows_only_the_visits_that_use_the_facility(world, curator_a, facility_a):
    token = feed_for(curator_a, Scope.FACILITY, facility=facility_a)

    assert set(events(token)) == references(world, "imaging")


def test_a_researcher_feed_shows_the_owners_own_visits_at_every_institution(world, researcher):
    token = feed_for(researcher, Scope.RESEARCHER)

    assert set(events(token)) == references(world, "imaging", "at_b")


def test_site_staff_may_follow_any_institution(world, site_staff, institution_a):
    token = feed_for(site_staff, Scope.INSTITUTION, institution=institution_a)

    assert set(events(token)) == references(world, "imaging", "workspace")


def test_a_visit_long_past_is_left_out_of_the_feed(world, researcher):
    old = world["at_b"]
    long_ago = timezone.localdate() - datetime.timedelta(days=400)
    VisitRequest.objects.filter(pk=old.pk).update(
        confirmed_start=long_ago, confirmed_end=long_ago + datetime.timedelta(days=2)
    )
    token = feed_for(researcher, Scope.RESEARCHER)

    assert set(events(token)) == references(world, "imaging")
