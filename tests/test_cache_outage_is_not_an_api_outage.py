"""The shared Redis cache fails open: unreachable (refusing, or silent) it is a miss, counted and
logged once, and the API it throttles answers as usual; readiness says the cache is down.

No Redis is needed: a closed port stands for a Redis that refuses, a socket that accepts and
never answers for one that hangs. The settings are the production ones (``CACHES`` as
``elvis/settings.py`` makes it with ``REDIS_URL``).
"""

from __future__ import annotations

import logging
import runpy
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import CacheHandler
from prometheus_client import REGISTRY
from rest_framework.test import APIClient

from accounts.tokens import issue

SETTINGS = Path(__file__).resolve().parent.parent / "elvis" / "settings.py"
#: Far above the one-second socket timeouts, far below a request stuck for good.
PROMPT = 5.0


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does, from its backlog) but never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


def production_caches(monkeypatch, tmp_path, port: int) -> dict:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setenv("ELVIS_DATA_DIR", str(tmp_path))
    return runpy.run_path(str(SETTINGS))["CACHES"]


def errors(operation: str) -> float:
    value = REGISTRY.get_sample_value("elvis_cache_errors_total", {"operation": operation})
    return value or 0.0


def test_an_unreachable_cache_answers_every_operation_as_a_miss(monkeypatch, tmp_path, caplog):
    cache = CacheHandler(production_caches(monkeypatch, tmp_path, closed_port()))["default"]
    before = {op: errors(op) for op in ("get", "set", "incr")}

    with caplog.at_level(logging.WARNING, logger="elvis.cache"):
        assert cache.get("throttle", default=["none"]) == ["none"]
        cache.set("throttle", [1.0], 60)
        assert cache.add("key", 1) is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
        assert cache.has_key("a") is False
        assert cache.touch("a") is False
        assert cache.delete("a") is False
        cache.delete_many(["a", "b"])
        cache.clear()
        with pytest.raises(ValueError):
            cache.incr("counter")
        for _ in range(20):
            cache.get("throttle")

    assert errors("get") - before["get"] == 21
    assert errors("set") - before["set"] == 1
    assert errors("incr") - before["incr"] == 1
    # One line for the outage, not one per call.
    warnings = [r for r in caplog.records if r.name == "elvis.cache"]
    assert len(warnings) == 1
    assert "cache unreachable (ConnectionError" in warnings[0].getMessage()


def test_a_cache_that_never_answers_costs_a_request_one_short_timeout(
    monkeypatch, tmp_path, silent_port
):
    cache = CacheHandler(production_caches(monkeypatch, tmp_path, silent_port))["default"]

    started = time.monotonic()
    assert cache.get("throttle", default="miss") == "miss"
    cache.set("throttle", [1.0], 60)
    assert cache.get("throttle", default="miss") == "miss"

    assert time.monotonic() - started < PROMPT


@pytest.mark.django_db
def test_the_throttled_api_answers_while_the_cache_is_down(
    monkeypatch, tmp_path, settings, researcher, institution_a
):
    settings.CACHES = production_caches(monkeypatch, tmp_path, closed_port())
    _, key = issue(researcher, "partner system")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")

    answers = [client.get("/api/v1/institutions/").status_code for _ in range(3)]
    answers.append(APIClient().get("/api/v1/institutions/").status_code)  # anonymous
    answers.append(client.get("/api/v1/loan-requests/").status_code)

    assert answers == [200] * 5


@pytest.mark.django_db
def test_readiness_names_the_cache_down_while_liveness_stays_up(
    monkeypatch, tmp_path, settings, client
):
    settings.CACHES = production_caches(monkeypatch, tmp_path, closed_port())

    ready = client.get("/readyz/")
    alive = client.get("/healthz/")

    assert ready.status_code == 503
    assert ready.json()["checks"]["cache"] == (
        "Unavailable: cache unreachable (served as misses: the API throttles are off)"
    )
    assert ready.json()["checks"]["database"] == "OK"
    assert alive.status_code == 200
