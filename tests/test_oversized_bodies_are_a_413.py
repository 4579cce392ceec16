"""A body over the upload limit is a 413 — JSON ``{"detail"}`` under /api/, a page elsewhere —
and the connection it came on stays usable for the next request."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory

from elvis.errors import bad_request

pytestmark = pytest.mark.django_db

TOO_BIG = 3 * 1024 * 1024  # over Django's default DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB)


def big_json() -> str:
    return json.dumps({"email": "someone@example.org", "password": "x" * TOO_BIG})


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/loan-requests/"])
def test_an_oversized_json_body_is_a_413_with_a_json_detail(api_as, researcher, path):
    response = api_as(researcher).post(path, big_json(), content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]


def test_an_anonymous_oversized_body_is_a_413_too(api):
    response = api.post("/api/v1/auth/token/", big_json(), content_type="application/json")

    assert response.status_code == 413
    assert "detail" in response.json()


def test_the_same_client_goes_on_working_after_a_413(api_as, researcher, institution_a):
    client = api_as(researcher)
    assert (
        client.post(
            "/api/v1/loan-requests/", big_json(), content_type="application/json"
        ).status_code
        == 413
    )

    response = client.get("/api/v1/institutions/")

    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == "INSTA"


def test_an_oversized_form_on_a_page_gets_a_413_page(client):
    body = "username=a%40example.org&password=" + "x" * TOO_BIG

    response = client.post(
        "/accounts/login/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b"too large" in response.content


def test_an_upload_may_be_as_large_as_an_attachment(client, settings, researcher):
    """Multipart bodies carry files: their limit adds the attachment size."""
    settings.ATTACHMENT_MAX_BYTES = 4 * 1024 * 1024
    client.force_login(researcher)

    response = client.post(
        "/accounts/login/",
        b"x" * TOO_BIG,
        content_type="multipart/form-data; boundary=nothing-here",
    )

    assert response.status_code != 413


def test_django_raising_request_data_too_big_itself_is_answered_413():
    """What ``handler400`` makes of the error Django raises when a view reads a large body."""
    for path, content_type in [("/api/v1/x/", "application/json"), ("/x/", "text/html")]:
        response = bad_request(RequestFactory().post(path), RequestDataTooBig("too big"))

        assert response.status_code == 413
        assert response["Content-Type"].startswith(content_type)


def test_other_bad_requests_under_the_api_are_a_json_400(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{n}=v" for n in range(50))

    response = api.post(
        "/api/v1/auth/token/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.django_db(transaction=True)
def test_a_keep_alive_connection_serves_the_next_request_after_a_413(live_server, institution_a):
    """Over real HTTP/1.1: the refused body is consumed, so the same connection (same local
    port, no reconnect) carries the next request."""
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/auth/token/",
            body=big_json().encode(),
            headers={"Content-Type": "application/json"},
        )
        refused = connection.getresponse()
        assert refused.status == 413
        assert "detail" in json.loads(refused.read())
        assert refused.getheader("Connection") != "close"
        socket_before = connection.sock.getsockname()

        connection.request("GET", "/api/v1/institutions/")
        listed = connection.getresponse()

        assert listed.status == 200
        assert json.loads(listed.read())["results"][0]["code"] == "INSTA"
        assert connection.sock.getsockname() == socket_before
    finally:
        connection.close()
