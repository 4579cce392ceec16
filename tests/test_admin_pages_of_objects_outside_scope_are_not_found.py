"""Every admin page of one object — change, history, delete — answers 404 to a user who may not
see that object, exactly as for an object that does not exist: never a 403 that confirms it
exists (DESIGN.md §3). Checked for every ModelAdmin the site registers, so admins added later
are covered (the test fails until its world holds a row of the new model)."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from accounts.clients import make_api_client
from accounts.invitations import send_invitation
from accounts.models import ApiClient, Invitation
from elvis.workflow.kinds import all_kinds
from elvis.workflow.service import perform
from notifications.models import Notification
from visits.models import CapacityChange, ClosedDay
from webhooks.models import Delivery

from . import webhooks_support as support
from .kinds_support import make_request

pytestmark = pytest.mark.django_db

VIEWS = ("change", "history", "delete")


@pytest.fixture
def world(
    researcher,
    curator_a,
    coordinator_a,
    site_staff,
    superuser,
    institution_a,
    collection_a,
    facility_a,
    specimen_a,
):
    """Rows of every registered model, all belonging to institution A or to the site."""
    make_api_client(ApiClient(email="system-a@example.org", full_name="A's system"), institution_a)
    support.subscription_for(coordinator_a, institution_a, "https://partner.example/hooks")
    for kind in all_kinds():  # notifications and a webhook delivery for each
        obj = make_request(
            kind,
            requester=researcher,
            institution=institution_a,
            collection=collection_a,
            specimens=[specimen_a],
            status="submitted",
        )
        perform(obj, "start_review", actor=curator_a)
    send_invitation(
        Invitation(email="colleague@a.example.org", institution=institution_a, role="curator"),
        acting_user=coordinator_a,
    )
    ClosedDay.objects.create(institution=institution_a, date=datetime.date(2031, 12, 24))
    CapacityChange.objects.create(facility=facility_a, date=datetime.date(2031, 12, 23), capacity=1)
    Group.objects.create(name="Editors")
    access = {"user_agent": "test", "ip_address": "192.0.2.1", "username": "x@example.org"}
    access |= {"http_accept": "*/*", "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(**access, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**access)
    AccessFailureLog.objects.create(**access)
    assert Notification.objects.exists() and Delivery.objects.exists()


def may_see(model_admin, user, obj) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = user
    return model_admin.get_queryset(request).filter(
        pk=obj.pk
    ).exists() and model_admin.has_view_or_change_permission(request, obj)


def object_url(model, view: str, pk) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=[pk])


@pytest.mark.parametrize("role", ["curator_b", "coordinator_b"])
def test_every_object_page_outside_the_users_scope_is_a_404(client, request, world, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    unchecked = []
    for model, model_admin in admin.site._registry.items():
        hidden = [
            obj for obj in model._default_manager.all() if not may_see(model_admin, user, obj)
        ]
        if not hidden:
            unchecked.append(model._meta.label)
        for obj in hidden:
            for view in VIEWS:
                response = client.get(object_url(model, view, obj.pk))

                assert response.status_code == 404, (model._meta.label, view, obj.pk)
                response = client.post(object_url(model, view, obj.pk), {})

                assert response.status_code == 404, (model._meta.label, view, "POST")

    assert not unchecked, f"the world has no row of {unchecked} to hide: add one"


@pytest.mark.parametrize("role", ["curator_b", "site_staff"])
def test_an_object_that_does_not_exist_is_a_404_too(client, request, world, role):
    client.force_login(request.getfixturevalue(role))
    for model in admin.site._registry:
        for view in VIEWS:
            response = client.get(object_url(model, view, 987654))

            assert response.status_code == 404, (model._meta.label, view)


def test_a_user_page_is_a_404_to_a_curator_of_another_institution(client, curator_b, researcher):
    client.force_login(curator_b)

    response = client.get(reverse("admin:accounts_user_change", args=[researcher.pk]))

    assert response.status_code == 404


def test_objects_in_scope_still_open(client, curator_a, world, institution_a, make_loan):
    client.force_login(curator_a)

    response = client.get(
        reverse("admin:collections_app_institution_change", args=[institution_a.pk])
    )

    assert response.status_code == 200
