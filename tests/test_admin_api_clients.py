"""Coordinators create their institution's API clients in the admin and issue, list and revoke
their tokens; a key is shown once. Only coordinators of the institution and superusers get in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiClient, ApiToken
from accounts.tokens import PREFIX_LENGTH, issue
from collections_app.models import Membership

pytestmark = pytest.mark.django_db

KEY = re.compile(r'id="issued-key" value="([^"]+)"')


def url(view: str, *args) -> str:
    return reverse(f"admin:accounts_apiclient_{view}", args=args)


def make_client_of(institution, email: str) -> ApiClient:
    system = ApiClient.objects.create_user(email=email, full_name=f"{institution.code} system")
    Membership.objects.create(user=system, institution=institution, role=Membership.Role.API_CLIENT)
    return system


@pytest.fixture
def system_a(institution_a) -> ApiClient:
    return make_client_of(institution_a, "system@inst-a.example.org")


@pytest.fixture
def system_b(institution_b) -> ApiClient:
    return make_client_of(institution_b, "system@inst-b.example.org")


@pytest.fixture
def as_user(client):
    def _as(user):
        client.force_login(user)
        return client

    return _as


def test_a_coordinator_creates_a_client_that_acts_for_their_institution(
    as_user, coordinator_a, institution_a
):
    body = {
        "full_name": "A collections system",
        "email": "CMS@Inst-A.example.org",
        "institution": institution_a.pk,
    }

    response = as_user(coordinator_a).post(url("add"), body)

    assert response.status_code == 302
    system = ApiClient.objects.get(email="cms@inst-a.example.org")
    assert not system.has_usable_password()
    assert system.home_institution == institution_a
    assert list(system.memberships.values_list("institution", "role")) == [
        (institution_a.pk, Membership.Role.API_CLIENT)
    ]


def test_a_coordinator_cannot_create_a_client_for_another_institution(
    as_user, coordinator_a, institution_b
):
    body = {"full_name": "Intruder", "email": "x@example.org", "institution": institution_b.pk}

    response = as_user(coordinator_a).post(url("add"), body)

    assert response.status_code == 200
    assert "institution" in response.context["adminform"].form.errors
    assert not ApiClient.objects.filter(email="x@example.org").exists()


def test_the_list_shows_only_the_coordinators_clients(as_user, coordinator_a, system_a, system_b):
    response = as_user(coordinator_a).get(url("changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [system_a]


def test_issuing_a_token_shows_its_key_once_and_the_key_works(as_user, coordinator_a, system_a):
    browser = as_user(coordinator_a)
    expiry = (timezone.now() + timedelta(days=30)).date()

    response = browser.post(
        url("issue_token", system_a.pk), {"name": "nightly sync", "valid_until": expiry}
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "will not be shown again" in response.content.decode()
    key = KEY.search(response.content.decode()).group(1)
    token = ApiToken.objects.get(user=system_a)
    assert token.name == "nightly sync"
    assert token.prefix == key[:PREFIX_LENGTH]
    assert token.expires_at.date() == expiry + timedelta(days=1)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/loan-requests/").status_code == 200
    change_page = browser.get(url("change", system_a.pk)).content.decode()
    assert token.prefix in change_page
    assert key not in change_page


def test_a_token_cannot_be_issued_already_expired(as_user, coordinator_a, system_a):
    yesterday = (timezone.now() - timedelta(days=1)).date()

    response = as_user(coordinator_a).post(
        url("issue_token", system_a.pk), {"name": "late", "valid_until": yesterday}
    )

    assert response.status_code == 200
    assert "valid_until" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoking_a_token_from_the_admin_makes_it_a_401(as_user, coordinator_a, system_a):
    token, key = issue(system_a, "old")
    browser = as_user(coordinator_a)

    confirm = browser.get(url("revoke_token", system_a.pk, token.pk))
    response = browser.post(url("revoke_token", system_a.pk, token.pk))

    assert confirm.status_code == 200
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/loan-requests/").status_code == 401


@pytest.mark.parametrize("view", ["change", "issue_token"])
def test_another_institutions_coordinator_gets_a_404(as_user, coordinator_b, system_a, view):
    response = as_user(coordinator_b).get(url(view, system_a.pk))

    assert response.status_code == 404


def test_another_institutions_coordinator_cannot_revoke(as_user, coordinator_b, system_a):
    token, _key = issue(system_a, "theirs")

    response = as_user(coordinator_b).post(url("revoke_token", system_a.pk, token.pk))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_of_another_client_is_not_revoked_through_this_clients_page(
    as_user, superuser, system_a, system_b
):
    token_b, _key = issue(system_b, "b's")

    response = as_user(superuser).post(url("revoke_token", system_a.pk, token_b.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["curator_a", "site_staff"])
def test_curators_and_site_staff_who_are_not_superusers_do_not_manage_clients(
    request, as_user, system_a, role
):
    browser = as_user(request.getfixturevalue(role))

    assert browser.get(url("changelist")).status_code == 403
    assert browser.post(url("issue_token", system_a.pk), {"name": "x"}).status_code in (403, 404)
    assert not ApiToken.objects.exists()


def test_a_persons_account_given_a_client_membership_gets_no_tokens_from_the_admin(
    as_user, coordinator_a, institution_a, researcher
):
    Membership.objects.create(
        user=researcher, institution=institution_a, role=Membership.Role.API_CLIENT
    )
    browser = as_user(coordinator_a)

    listed = browser.get(url("changelist")).context["cl"].result_list
    response = browser.post(url("issue_token", researcher.pk), {"name": "impersonate"})

    assert researcher not in listed
    assert response.status_code == 404
    assert not ApiToken.objects.exists()


def test_a_superuser_manages_every_institutions_clients(as_user, superuser, system_a, system_b):
    response = as_user(superuser).get(url("changelist"))

    assert set(response.context["cl"].result_list) == {system_a, system_b}
