"""JSON strings holding ``\\u0000`` or an unpaired surrogate are refused by the parser with a
400 naming the field: PostgreSQL cannot store either, and no field ever needs them."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"title": "nul\\u0000byte"}', "title"),
        ('{"title": "lone \\ud800 surrogate"}', "title"),
        ('{"permits": [{"type": "cites", "number": "\\u0000"}]}', "permits"),
        ('{"collections": ["\\u0000"]}', "collections"),
    ],
)
def test_a_field_with_unstorable_text_is_a_400_on_that_field(api_as, researcher, body, field):
    response = api_as(researcher).post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    "body",
    ['{"nul\\u0000key": 1}', '"\\u0000"', '["\\u0000"]', '[{"a": "\\udfff"}]'],
)
def test_unstorable_text_outside_a_named_field_is_a_400_with_a_detail(api_as, researcher, body):
    response = api_as(researcher).post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/token/", "/api/v1/webhooks/", "/api/v1/institutions/"]
)
def test_every_json_endpoint_refuses_nul_text(api_as, site_staff, path):
    response = api_as(site_staff).post(
        path,
        '{"email": "a\\u0000@example.org", "password": "x", "url": "https://x\\u0000",'
        ' "code": "\\u0000", "name": "\\u0000"}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()
