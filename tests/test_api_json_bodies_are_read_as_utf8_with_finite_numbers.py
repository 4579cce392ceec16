"""JSON bodies are UTF-8 (RFC 8259) whatever charset the client declares; bytes that are not
UTF-8 and numbers beyond the float range are a 400, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"title": "\xff\xfe"}', "application/json"),
        (b'{"title": "ok"}', "application/json; charset=rot13"),
        (b'{"title": "ok"}', "application/json; charset=base64"),
        (b'{"title": "ok"}', "application/json; charset=utf-16"),
        (b'{"title": "ok"}', "application/json; charset=no-such-codec"),
        (b'{"title": 1e999}', "application/json"),
        (b'{"title": -1e999}', "application/json"),
        (b'{"title": NaN}', "application/json"),
        (b'{"title": Infinity}', "application/json"),
        (b'{"title": ' + b"9" * 5000 + b"}", "application/json"),
    ],
)
def test_odd_bytes_or_numbers_are_a_400_not_a_500(api_as, researcher, body, content_type):
    response = api_as(researcher).post(URL, body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()


def test_a_utf8_body_with_a_byte_order_mark_is_read(api_as, researcher):
    response = api_as(researcher).post(
        URL, '\ufeff{"title": "Käfer"}'.encode(), content_type="application/json"
    )

    assert response.status_code == 400
    assert "title" not in response.json()
