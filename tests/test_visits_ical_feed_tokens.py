"""A feed URL opens nothing once it should not: an unknown, malformed or revoked token, an
owner whose account was deactivated, and a curator who has left the institution all get the
same 404 — and no one makes a feed of what they may not follow."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from collections_app.models import Facility, Membership
from visits import feeds
from visits.models import CalendarFeed

from .visits_ical_support import approved_visit, feed_for, fetch

pytestmark = pytest.mark.django_db

Scope = CalendarFeed.Scope


@pytest.fixture
def visit(researcher, curator_a, institution_a, collection_a):
    return approved_visit(
        requester=researcher, curator=curator_a, institution=institution_a, collection=collection_a
    )


@pytest.fixture
def token(visit, curator_a, institution_a) -> str:
    return feed_for(curator_a, Scope.INSTITUTION, institution=institution_a)


def test_the_feed_opens_with_its_token(token):
    assert fetch(token).status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        "x" * 43,  # well-formed, never issued
        "short",
        "%2e%2e",
    ],
)
def test_an_unknown_or_malformed_token_is_a_404(token, bad):
    assert fetch(bad).status_code == 404


def test_the_stored_value_is_a_hash_that_does_not_open_the_feed(token):
    stored = CalendarFeed.objects.get().token

    assert stored != token and stored == feeds.hash_token(token)
    assert fetch(stored).status_code == 404


def test_a_revoked_feed_is_a_404(token):
    assert feeds.revoke(CalendarFeed.objects.get())

    assert fetch(token).status_code == 404


def test_a_curator_who_left_the_institution_gets_a_404(token, curator_a):
    Membership.objects.filter(user=curator_a).delete()

    assert fetch(token).status_code == 404


def test_a_facility_feed_stops_too_when_the_curator_leaves(visit, curator_a, facility_a):
    facility_token = feed_for(curator_a, Scope.FACILITY, facility=facility_a)
    Membership.objects.filter(user=curator_a).delete()

    assert fetch(facility_token).status_code == 404


def test_an_inactive_owner_gets_a_404(visit, researcher):
    own = feed_for(researcher, Scope.RESEARCHER)
    researcher.is_active = False
    researcher.save()

    assert fetch(own).status_code == 404


def test_a_signed_in_user_gains_nothing_over_an_unknown_token(client, outsider):
    client.force_login(outsider)

    assert fetch("y" * 43, client).status_code == 404


@pytest.mark.parametrize(
    ("scope", "target"),
    [
        (Scope.INSTITUTION, "institution_b"),
        (Scope.FACILITY, "facility_b"),
        (Scope.INSTITUTION, None),
    ],
)
def test_no_feed_is_made_of_what_the_owner_may_not_follow(curator_a, institution_b, scope, target):
    if target == "institution_b":
        named = {"institution": institution_b}
    elif target == "facility_b":
        named = {"facility": Facility.objects.create(institution=institution_b, name="Lab B")}
    else:
        named = {}

    with pytest.raises(PermissionDenied):
        feeds.create_feed(curator_a, scope, **named)
    assert not CalendarFeed.objects.exists()


def test_a_researcher_may_not_follow_an_institution(researcher, institution_a):
    with pytest.raises(PermissionDenied):
        feeds.create_feed(researcher, Scope.INSTITUTION, institution=institution_a)
