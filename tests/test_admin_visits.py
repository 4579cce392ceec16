"""The curator's side of visits in the admin: approval with other dates, a refusal that stays on
the page with the full days and a free window, the overlap warning, and the institution's own
closed days and reduced-capacity days only."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from collections_app.models import Facility
from elvis.workflow.service import perform
from visits.models import CapacityChange, ClosedDay, VisitRequest

from .visits_support import make_visit, monday

pytestmark = pytest.mark.django_db
ONE_DAY = datetime.timedelta(days=1)


@pytest.fixture
def visit_of(researcher, institution_a, collection_a, facility_a):
    def _visit(start, end, *, team=0, status="under_review"):
        return make_visit(
            requester=researcher, institution=institution_a, collection=collection_a,
            facilities=[facility_a], start=start, end=end, team=team, status=status,
        )  # fmt: skip

    return _visit


def action_url(visit, action: str) -> str:
    return reverse("admin:visits_visitrequest_action", args=[visit.pk, action])


def test_the_curator_approves_with_other_dates_than_proposed(client, curator_a, visit_of):
    visit = visit_of(monday(3), monday(3) + 4 * ONE_DAY)
    client.force_login(curator_a)

    response = client.post(
        action_url(visit, "approve"),
        {
            "confirmed_start": monday(4).isoformat(),
            "confirmed_end": (monday(4) + ONE_DAY).isoformat(),
        },
    )

    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.confirmed_start, visit.confirmed_end) == (
        "approved", monday(4), monday(4) + ONE_DAY,
    )  # fmt: skip


def test_a_refused_approval_stays_on_the_page_with_the_full_days_and_a_window(
    client, curator_a, visit_of
):
    perform(visit_of(monday(3), monday(3), team=1), "approve", actor=curator_a)
    visit = visit_of(monday(3), monday(3) + ONE_DAY)
    client.force_login(curator_a)

    response = client.post(action_url(visit, "approve"), {})

    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert monday(3).isoformat() in error and "nearest free period of 2 working days" in error
    assert VisitRequest.objects.get(pk=visit.pk).status == "under_review"


def test_the_change_page_flags_the_researchers_overlapping_visits(client, curator_a, visit_of):
    earlier = visit_of(monday(3), monday(3) + 4 * ONE_DAY)
    visit = visit_of(monday(3) + 2 * ONE_DAY, monday(4))
    client.force_login(curator_a)

    response = client.get(reverse("admin:visits_visitrequest_change", args=[visit.pk]))

    assert earlier.reference in response.text


def test_curators_see_and_choose_only_their_institutions_calendar_rows(
    client, curator_a, curator_b, institution_a, institution_b, facility_a
):
    theirs = Facility.objects.create(institution=institution_b, name="B lab", daily_capacity=1)
    ClosedDay.objects.create(institution=institution_a, date=monday(5), reason="A's holiday")
    ClosedDay.objects.create(institution=institution_b, date=monday(5), reason="B's holiday")
    CapacityChange.objects.create(facility=theirs, date=monday(5), capacity=0, reason="B closed")
    client.force_login(curator_a)

    closed = client.get(reverse("admin:visits_closedday_changelist"))
    changes = client.get(reverse("admin:visits_capacitychange_changelist"))
    add = client.get(reverse("admin:visits_capacitychange_add"))

    assert "A&#x27;s holiday" in closed.text and "B&#x27;s holiday" not in closed.text
    assert "B closed" not in changes.text
    assert list(add.context["adminform"].form.fields["facility"].queryset) == [facility_a]
    created = client.post(
        reverse("admin:visits_closedday_add"),
        {"institution": institution_b.pk, "date": monday(6).isoformat(), "reason": "x"},
    )
    assert created.status_code == 200  # the form refuses another institution
    assert not ClosedDay.objects.filter(date=monday(6)).exists()
