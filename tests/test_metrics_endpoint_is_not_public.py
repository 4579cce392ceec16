"""``/metrics`` answers Prometheus with the bearer token only; without a configured token it
does not exist. Like ``/healthz/``, it answers plain http on the private network."""

from __future__ import annotations

import pytest
from django.test import override_settings

from . import metrics_support as support
from .metrics_support import TOKEN, sample, scrape

pytestmark = pytest.mark.django_db
metrics_token = support.metrics_token


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {TOKEN}", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"],
)
def test_a_scrape_without_the_right_bearer_token_is_refused(client, metrics_token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"django_http" not in response.content and b"elvis_" not in response.content


def test_without_a_configured_token_there_is_no_metrics_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics").status_code == 404


def test_a_scrape_with_the_token_gets_the_prometheus_text_format(client, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    assert b"# TYPE elvis_outbox_waiting gauge" in response.content


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["elvis.example.org"])
def test_prometheus_scrapes_over_the_private_network_in_plain_http(client, metrics_token):
    response = client.get("/metrics", HTTP_HOST="web:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200


def test_scrapes_are_not_counted_as_requests(client, metrics_token):
    client.get("/api/v1/institutions/")  # a request is counted …
    before = sample(scrape(client), "django_http_requests_before_middlewares_total")
    after = sample(scrape(client), "django_http_requests_before_middlewares_total")
    assert before >= 1 and after == before  # … but not the scrapes
