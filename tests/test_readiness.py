"""``/readyz/`` checks the database, the cache, the broker, a worker and media storage, answers
JSON, and is a 503 when any of them fails, while ``/healthz/`` (liveness) stays up."""

from __future__ import annotations

import socket

import pytest
from celery import current_app
from django.test import override_settings

pytestmark = pytest.mark.django_db

# Probes come from inside the container: plain http, a host the site does not serve.
PROBE = {"HTTP_HOST": "127.0.0.1:8000"}
PRODUCTION_LIKE = override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["elvis.example.org"])


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_down(monkeypatch):
    monkeypatch.setitem(current_app.conf, "broker_url", f"redis://127.0.0.1:{closed_port()}/0")


@PRODUCTION_LIKE
def test_readiness_is_ok_when_every_service_answers(client, settings):
    response = client.get("/readyz/", **PROBE)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        # Tasks run eagerly here (inside this process): there is no worker to ping.
        "checks": {"database": "OK", "cache": "OK", "broker": "OK", "storage": "OK"},
    }
    assert not any((settings.MEDIA_ROOT / "health_check_storage_test").glob("*"))


@PRODUCTION_LIKE
def test_readiness_fails_when_the_broker_is_down_while_liveness_stays_up(client, broker_down):
    ready = client.get("/readyz/", **PROBE)
    alive = client.get("/healthz/", **PROBE)

    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"].startswith("Unavailable: broker unreachable")
    assert {body["checks"][name] for name in ("database", "cache", "storage")} == {"OK"}
    assert alive.status_code == 200


def test_readiness_fails_when_no_worker_answers_a_ping(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = client.get("/readyz/")

    assert response.status_code == 503
    assert response.json()["checks"]["celery"] == "Unavailable: Celery workers unavailable"


def test_readiness_is_never_cached(client):
    assert "no-cache" in client.get("/readyz/")["Cache-Control"]
