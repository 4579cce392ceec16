"""A feed costs the same number of queries for one visit as for ten: whatever an event shows
(requester, institution, facilities, team) is fetched with the visits."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from visits.models import CalendarFeed, CoVisitor

from .visits_ical_support import approved_visit, events, feed_for, fetch

pytestmark = pytest.mark.django_db

Scope = CalendarFeed.Scope


def queries_of(token: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert fetch(token).status_code == 200
    return len(queries)


@pytest.mark.parametrize("scope", [Scope.INSTITUTION, Scope.FACILITY, Scope.RESEARCHER])
def test_the_feed_takes_as_many_queries_for_ten_visits_as_for_one(
    scope, researcher, curator_a, institution_a, collection_a, facility_a
):
    owner = researcher if scope == Scope.RESEARCHER else curator_a
    target = {Scope.INSTITUTION: {"institution": institution_a},
              Scope.FACILITY: {"facility": facility_a}}.get(scope, {})  # fmt: skip
    token = feed_for(owner, scope, **target)

    def add_visit(n: int) -> None:
        visit = approved_visit(
            requester=researcher,
            curator=curator_a,
            institution=institution_a,
            collection=collection_a,
            facilities=(facility_a,),
            title=f"Visit {n}",
            weeks_ahead=2 + n,
        )
        CoVisitor.objects.create(visit=visit, name=f"Member {n}", email=f"m{n}@example.org")

    add_visit(0)
    one = queries_of(token)
    for n in range(1, 10):
        add_visit(n)

    assert len(events(token)) == 10
    assert queries_of(token) == one
