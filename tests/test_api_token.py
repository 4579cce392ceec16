"""``POST /api/v1/auth/token/``: e-mail and password for a token, with lockout and throttling."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import DEFAULT_LOGIN_TOKEN_LIFETIME, hash_key
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"


def test_the_right_password_returns_a_hashed_login_token_that_expires(api, researcher):
    response = api.post(URL, {"email": "researcher@example.org", "password": PASSWORD})

    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    token = ApiToken.objects.get(user=researcher)
    assert token.key_hash == hash_key(response.json()["token"])
    assert token.name.startswith("login ")
    expected_expiry = timezone.now() + DEFAULT_LOGIN_TOKEN_LIFETIME
    assert abs(token.expires_at - expected_expiry).total_seconds() < 60


def test_each_login_issues_a_new_token_and_records_the_login(api, researcher):
    first = api.post(URL, {"email": researcher.email, "password": PASSWORD}).json()["token"]
    second = api.post(URL, {"email": researcher.email, "password": PASSWORD}).json()["token"]

    assert first != second
    assert ApiToken.objects.filter(user=researcher).count() == 2
    for key in (first, second):
        client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get("/api/v1/notifications/").status_code == 200
    researcher.refresh_from_db()
    assert researcher.last_login is not None


def test_the_email_is_matched_in_any_case(api, researcher):
    response = api.post(URL, {"email": "Researcher@EXAMPLE.org", "password": PASSWORD})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "email", ["researcher@example.org", "nobody@example.org"], ids=["wrong-password", "no-user"]
)
def test_bad_credentials_are_a_400_without_saying_which_part_was_wrong(api, researcher, email):
    response = api.post(URL, {"email": email, "password": "not-the-password"})

    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_an_inactive_user_gets_no_token(api, researcher):
    researcher.is_active = False
    researcher.save()

    response = api.post(URL, {"email": researcher.email, "password": PASSWORD})

    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=researcher).exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"email", "password"}),
        ({"email": "researcher@example.org"}, {"password"}),
        ({"email": "not an address", "password": "x"}, {"email"}),
    ],
)
def test_missing_or_malformed_fields_are_field_errors(api, researcher, body, fields):
    response = api.post(URL, body)

    assert response.status_code == 400
    assert set(response.json()) == fields


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(api, researcher):
    limit = settings.AXES_FAILURE_LIMIT
    failures = [
        api.post(URL, {"email": researcher.email, "password": "guess"}).status_code
        for _ in range(limit)
    ]

    locked = api.post(URL, {"email": researcher.email, "password": PASSWORD})

    assert failures == [400] * (limit - 1) + [429]
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "detail" in locked.json()
    assert not ApiToken.objects.filter(user=researcher).exists()


def test_failures_in_different_letter_cases_count_against_one_account(api, researcher):
    for index in range(settings.AXES_FAILURE_LIMIT):
        email = "RESEARCHER@example.org" if index % 2 else "researcher@example.org"
        api.post(URL, {"email": email, "password": "guess"})

    response = api.post(URL, {"email": "researcher@example.org", "password": PASSWORD})

    assert response.status_code == 429


def test_a_lockout_is_per_address_so_the_owner_elsewhere_can_still_log_in(api, researcher):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(URL, {"email": researcher.email, "password": "guess"})

    elsewhere = APIClient(REMOTE_ADDR="192.0.2.7")
    response = elsewhere.post(URL, {"email": researcher.email, "password": PASSWORD})

    assert response.status_code == 200


def test_a_successful_login_resets_the_failure_count(api, researcher):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        api.post(URL, {"email": researcher.email, "password": "guess"})
    api.post(URL, {"email": researcher.email, "password": PASSWORD})

    response = api.post(URL, {"email": researcher.email, "password": "guess"})

    assert response.status_code == 400


@pytest.fixture
def login_rate_of_two_per_minute(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "2/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    cache.clear()
    yield
    cache.clear()


def test_the_endpoint_is_rate_limited_per_address(api, researcher, login_rate_of_two_per_minute):
    statuses = [
        api.post(URL, {"email": researcher.email, "password": PASSWORD}).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_a_forged_forwarded_address_does_not_lift_the_login_limit(
    api, researcher, login_rate_of_two_per_minute
):
    statuses = [
        api.post(
            URL,
            {"email": researcher.email, "password": PASSWORD},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_the_token_authenticates_registry_writes(api, coordinator_a, collection_a):
    token = api.post(URL, {"email": coordinator_a.email, "password": PASSWORD}).json()["token"]

    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.patch(f"/api/v1/collections/{collection_a.pk}/", {"name": "Beetles"})

    assert response.status_code == 200


def test_an_invalid_token_is_a_401_even_for_a_public_read(db):
    client = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/institutions/")

    assert response.status_code == 401


def test_a_stale_token_header_does_not_block_logging_in(researcher):
    client = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.post(URL, {"email": researcher.email, "password": PASSWORD})

    assert response.status_code == 200
