"""API tokens are stored hashed, checked by prefix and hash, refused when revoked or expired,
and their owners list, issue and revoke them at ``/api/v1/auth/tokens/``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import KEY_MARKER, PREFIX_LENGTH, hash_key, issue

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/auth/tokens/"
PROTECTED = "/api/v1/notifications/"


def with_token(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")


def test_an_issued_key_is_long_random_and_stored_only_as_its_hash_and_prefix(researcher):
    token, key = issue(researcher, "nightly sync")

    assert key.startswith(KEY_MARKER)
    assert len(key) >= 40
    token.refresh_from_db()
    assert token.prefix == key[:PREFIX_LENGTH]
    assert token.key_hash == hash_key(key)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        stored = [str(value) for row in cursor.fetchall() for value in row]
    assert not any(key in value for value in stored)


def test_a_token_authenticates_its_user(researcher):
    _token, key = issue(researcher, "script")

    response = with_token(key).get(PROTECTED)

    assert response.status_code == 200


def test_tokens_sharing_a_prefix_are_told_apart_by_their_hash(monkeypatch, researcher, outsider):
    keys = iter([KEY_MARKER + "samepref" + "a" * 35, KEY_MARKER + "samepref" + "b" * 35])
    monkeypatch.setattr("accounts.tokens.generate_key", lambda: next(keys))
    _mine, my_key = issue(researcher, "mine")
    _theirs, their_key = issue(outsider, "theirs")

    theirs_seen = with_token(their_key).get(TOKENS).json()["results"]
    mine_seen = with_token(my_key).get(TOKENS).json()["results"]

    assert [row["name"] for row in theirs_seen] == ["theirs"]
    assert [row["name"] for row in mine_seen] == ["mine"]


def revoked(user) -> str:
    token, key = issue(user, "revoked")
    token.revoke()
    return key


def expired(user) -> str:
    return issue(user, "expired", expires_at=timezone.now() - timedelta(seconds=1))[1]


def of_an_inactive_user(user) -> str:
    key = issue(user, "inactive")[1]
    user.is_active = False
    user.save()
    return key


@pytest.mark.parametrize(
    ("make_key", "detail"),
    [
        (lambda user: KEY_MARKER + "x" * 43, "Invalid token."),
        (lambda user: issue(user, "real")[1][:-1] + "!", "Invalid token."),
        (lambda user: "a" * 500, "Invalid token."),
        (revoked, "This token has been revoked."),
        (expired, "This token has expired."),
        (of_an_inactive_user, "User inactive or deleted."),
    ],
    ids=["unknown", "altered", "overlong", "revoked", "expired", "inactive-user"],
)
def test_a_bad_token_is_a_401_with_a_token_challenge(researcher, make_key, detail):
    response = with_token(make_key(researcher)).get("/api/v1/institutions/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": detail}


def test_a_token_with_a_nul_character_is_a_401_not_a_database_error(researcher):
    response = with_token("elv_abc\x00defghijklmnopqrstuvwxyz").get(PROTECTED)

    assert response.status_code == 401


def test_a_token_expiring_in_the_future_still_works(researcher):
    key = issue(researcher, "soon", expires_at=timezone.now() + timedelta(minutes=5))[1]

    assert with_token(key).get(PROTECTED).status_code == 200


def test_last_used_is_recorded_at_most_once_a_minute(researcher):
    token, key = issue(researcher, "script")
    client = with_token(key)

    client.get(PROTECTED)
    token.refresh_from_db()
    first_use = token.last_used_at
    client.get(PROTECTED)
    token.refresh_from_db()
    unchanged = token.last_used_at
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    client.get(PROTECTED)
    token.refresh_from_db()

    assert first_use is not None
    assert unchanged == first_use
    assert token.last_used_at > first_use


def test_the_owner_lists_their_tokens_by_prefix_without_keys(api_as, researcher, outsider):
    token, _key = issue(researcher, "laptop")
    issue(outsider, "someone else's")

    response = api_as(researcher).get(TOKENS)

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": token.pk,
            "name": "laptop",
            "prefix": token.prefix,
            "created_at": token.created_at.isoformat().replace("+00:00", "Z"),
            "last_used_at": None,
            "expires_at": None,
            "revoked_at": None,
        }
    ]


def test_a_signed_in_user_issues_a_named_expiring_token_whose_key_is_shown_once(api_as, researcher):
    expires = (timezone.now() + timedelta(days=7)).isoformat()
    client = api_as(researcher)

    response = client.post(TOKENS, {"name": "CI", "expires_at": expires})

    assert response.status_code == 201
    key = response.json()["token"]
    assert response.json()["prefix"] == key[:PREFIX_LENGTH]
    assert with_token(key).get(PROTECTED).status_code == 200
    assert "token" not in client.get(TOKENS).json()["results"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "old", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "bad", "expires_at": "next week"}, "expires_at"),
    ],
)
def test_an_invalid_token_request_is_a_field_error(api_as, researcher, body, field):
    response = api_as(researcher).post(TOKENS, body)

    assert response.status_code == 400
    assert field in response.json()
    assert not ApiToken.objects.exists()


def test_a_token_cannot_issue_more_tokens(researcher):
    _token, key = issue(researcher, "script")

    response = with_token(key).post(TOKENS, {"name": "successor"})

    assert response.status_code == 403
    assert ApiToken.objects.count() == 1


def test_revoking_a_token_keeps_it_listed_and_makes_it_a_401(researcher):
    token, key = issue(researcher, "leaked")
    client = with_token(key)

    response = client.delete(f"{TOKENS}{token.pk}/")

    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(PROTECTED).status_code == 401


def test_someone_elses_token_is_a_404_and_stays_valid(api_as, researcher, outsider):
    token, key = issue(outsider, "theirs")

    response = api_as(researcher).delete(f"{TOKENS}{token.pk}/")

    assert response.status_code == 404
    assert with_token(key).get(PROTECTED).status_code == 200


def test_listing_tokens_needs_authentication(api):
    assert api.get(TOKENS).status_code == 401
