"""Whatever is shown to a signed-in person or an API client is never stored by a cache:
``Cache-Control: private, no-store`` on every such answer (unless the view chose its own), and
API answers vary by ``Authorization`` as well as ``Cookie`` and ``Accept``."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.cache import cc_delim_re

from accounts.tokens import issue

pytestmark = pytest.mark.django_db


def vary(response) -> set[str]:
    return {value.lower() for value in cc_delim_re.split(response.get("Vary", "")) if value}


def cache_control(response) -> set[str]:
    return {value.lower() for value in cc_delim_re.split(response.get("Cache-Control", ""))}


@pytest.fixture
def token(researcher) -> str:
    return issue(researcher, "tests")[1]


@pytest.mark.parametrize(
    "path", ["/", "/loans/", "/loans/new/", "/notifications/", "/accounts/profile/"]
)
def test_pages_for_a_signed_in_user_are_private_and_not_stored(client, researcher, path):
    client.force_login(researcher)

    response = client.get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "path", ["/api/v1/loan-requests/", "/api/v1/institutions/", "/api/v1/notifications/"]
)
def test_api_answers_to_a_token_are_private_and_not_stored(client, token, path):
    response = client.get(path, HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_an_api_answer_to_a_session_is_private_and_not_stored(client, researcher):
    client.force_login(researcher)

    response = client.get("/api/v1/loan-requests/")

    assert response["Cache-Control"] == "private, no-store"


def test_even_a_refused_token_is_answered_not_stored(client):
    response = client.get("/api/v1/loan-requests/", HTTP_AUTHORIZATION="Token elv_nonsense")

    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("path", "credentials"),
    [
        ("/api/v1/institutions/", {}),
        ("/api/v1/institutions/", {"HTTP_AUTHORIZATION": "Token elv_nonsense"}),
        ("/api/v1/loan-requests/", {}),
        ("/api/v1/no-such-thing/", {}),
    ],
)
def test_api_answers_vary_by_authorization_cookie_and_accept(client, path, credentials):
    response = client.get(path, **credentials)

    assert {"authorization", "cookie", "accept"} <= vary(response)


def test_public_pages_for_anonymous_visitors_may_be_cached(client, institution_a):
    response = client.get("/")

    assert "no-store" not in cache_control(response)
    assert "no-store" not in cache_control(client.get("/api/v1/institutions/"))


def test_a_view_that_sets_its_own_cache_control_keeps_it(client, superuser):
    """The admin's never_cache header is kept as Django writes it (no-store among others)."""
    client.force_login(superuser)

    response = client.get(reverse("admin:index"))

    assert "no-store" in cache_control(response)
    assert "must-revalidate" in cache_control(response)


def test_a_download_keeps_its_own_headers(downloaded_attachment):
    assert downloaded_attachment["Cache-Control"] == "private, no-store"
