"""A coordinator records that a member has left with an end date in the admin: the row stays
listed as "left on …", who recorded the end is kept, and the admin's history says so."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from collections_app.models import Membership

pytestmark = pytest.mark.django_db


def test_the_coordinator_ends_a_membership_and_it_stays_listed_as_left(
    client, coordinator_a, curator_a
):
    membership = Membership.objects.get(user=curator_a)
    last_day = timezone.localdate() - datetime.timedelta(days=3)
    client.force_login(coordinator_a)
    url = reverse("admin:collections_app_membership_change", args=[membership.pk])

    response = client.post(
        url,
        {
            "user": curator_a.pk,
            "institution": membership.institution_id,
            "role": membership.role,
            "ends_on": last_day.isoformat(),
        },
    )

    assert response.status_code == 302, response.content
    membership.refresh_from_db()
    assert membership.ends_on == last_day
    assert membership.ended_by == coordinator_a
    assert LogEntry.objects.filter(object_id=str(membership.pk), user=coordinator_a).exists()
    listing = client.get(reverse("admin:collections_app_membership_changelist"))
    assert "Left on" in listing.content.decode()
    left = client.get(reverse("admin:collections_app_membership_changelist") + "?state=ended")
    assert curator_a.email in left.content.decode()
    current = client.get(reverse("admin:collections_app_membership_changelist") + "?state=current")
    assert curator_a.email not in current.content.decode()
    assert coordinator_a.email in current.content.decode()


def test_the_profile_lists_an_ended_membership_as_left(client, curator_a):
    Membership.objects.filter(user=curator_a).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(curator_a)

    page = client.get(reverse("profile")).content.decode()

    assert "Left on" in page
