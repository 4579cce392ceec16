"""The container health probe answers plain http from any host, and checks the database."""

from __future__ import annotations

import pytest
from django.test import override_settings


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["elvis.example.org"])
def test_health_probe_answers_ok_without_redirect_or_host_check(client):
    response = client.get("/healthz/", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["elvis.example.org"])
def test_other_pages_still_redirect_to_https(client):
    response = client.get("/", HTTP_HOST="elvis.example.org")
    assert response.status_code == 301
    assert response["Location"].startswith("https://elvis.example.org/")
