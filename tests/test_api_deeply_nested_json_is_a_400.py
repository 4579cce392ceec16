"""A JSON body nested thousands deep is a 400 with the contract's ``{"detail": …}``, not a 500
from a ``RecursionError``: the API's JSON parser refuses nesting deeper than any request needs."""

from __future__ import annotations

import pytest

from elvis.api.parsers import MAX_DEPTH

pytestmark = pytest.mark.django_db

# Each endpoint with a role that may POST to it (so the body is parsed, not refused unread).
ENDPOINTS = [
    ("/api/v1/auth/token/", "researcher"),
    ("/api/v1/loan-requests/", "researcher"),
    ("/api/v1/institutions/", "site_staff"),
]


def nested(depth: int, kind: str) -> str:
    if kind == "arrays":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(("path", "role"), ENDPOINTS)
@pytest.mark.parametrize("kind", ["arrays", "objects"])
@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_a_body_nested_thousands_deep_is_a_400_with_a_detail(
    api_as, request, path, role, kind, depth
):
    response = api_as(request.getfixturevalue(role)).post(
        path, nested(depth, kind), content_type="application/json"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nested" in response.json()["detail"]


def test_the_token_endpoint_refuses_deep_nesting_before_anyone_is_authenticated(api):
    response = api.post(
        "/api/v1/auth/token/", nested(5_000, "objects"), content_type="application/json"
    )

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_nesting_just_past_the_limit_is_refused_too(api_as, researcher):
    """Not only what overflows Python's stack: a few hundred levels would parse, then recurse
    through serializers and the error renderer."""
    response = api_as(researcher).post(
        "/api/v1/loan-requests/",
        '{"title": ' + nested(MAX_DEPTH + 1, "arrays") + "}",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_ordinary_nesting_still_reaches_the_serializer(api_as, researcher):
    response = api_as(researcher).post(
        "/api/v1/loan-requests/", {"title": [[["deep enough"]]]}, format="json"
    )

    assert response.status_code == 400
    assert "title" in response.json()
