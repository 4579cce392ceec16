"""A member who left (their membership's ``ends_on`` is past) is an outsider to the institution
on every face, for every kind: the API, the researcher pages and the admin answer 404 for its
requests, and they hear of none. Through their last day they still act."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from collections_app.models import Membership
from elvis.workflow.service import perform
from notifications.models import Notification

from .conftest import api_url

pytestmark = pytest.mark.django_db


def end_membership(user, last_day: datetime.date) -> None:
    Membership.objects.filter(user=user).update(ends_on=last_day)


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def admin_change_url(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def test_a_curator_who_left_sees_the_request_nowhere(client, api_as, make, kind, curator_a):
    obj = make(status="submitted")
    end_membership(curator_a, yesterday())

    api = api_as(curator_a)
    assert api.get(api_url(kind, obj)).status_code == 404
    assert obj.pk not in {row["id"] for row in api.get(api_url(kind)).json()["results"]}
    assert api.post(api_url(kind, obj, "start_review"), {}).status_code == 404

    client.force_login(curator_a)
    assert client.get(obj.get_absolute_url()).status_code == 404
    admin_page = client.get(admin_change_url(obj))
    assert admin_page.status_code == 302  # no admin access at all any more: the login page
    assert admin_page["Location"].startswith(reverse("admin:login"))


def test_a_curator_still_acts_on_their_last_day(api_as, make, kind, curator_a):
    obj = make(status="submitted")
    end_membership(curator_a, timezone.localdate())

    response = api_as(curator_a).post(api_url(kind, obj, "start_review"), {})

    assert response.status_code == 200, response.content


def test_a_curator_who_left_is_not_told_of_new_submissions(make, kind, researcher, curator_a):
    end_membership(curator_a, yesterday())
    obj = make()

    perform(obj, "submit", actor=researcher)

    assert not Notification.objects.filter(recipient=curator_a).exists()


def test_a_curator_who_left_one_institution_keeps_the_other(
    client, make, kind, curator_a, institution_b, collection_b
):
    Membership.objects.filter(user=curator_a).update(ends_on=yesterday())
    Membership.objects.create(
        user=curator_a, institution=institution_b, role=Membership.Role.CURATOR
    )
    obj = make(status="submitted")
    client.force_login(curator_a)

    assert client.get(admin_change_url(obj)).status_code == 404
