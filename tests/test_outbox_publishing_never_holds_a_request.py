"""Publishing after a commit never holds the request: a broker that refuses or never answers
(Redis or RabbitMQ) costs one short timeout for the whole batch, the rows stay for the sweeper,
and the result store is never contacted (task results are ignored).

The Celery app is configured from the production settings (``elvis/settings.py`` as the
environment makes it); no broker is needed: a socket that accepts and never answers stands for
a broker that hangs.
"""

from __future__ import annotations

import logging
import runpy
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery import Celery

from elvis import outbox

SETTINGS = Path(__file__).resolve().parent.parent / "elvis" / "settings.py"
#: Well above the settings' connect and socket timeouts, well below a request stuck for good.
PROMPT = 10.0
EAGER = "CELERY_TASK_ALWAYS_EAGER"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does, from its backlog) but never answers."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield listener.getsockname()[1]


@pytest.fixture
def celery_app(monkeypatch, tmp_path):
    """``celery_app(**environment)``: a Celery app with the production settings of that
    environment, and a task that would deliver one row."""
    apps: list[Celery] = []

    def make(**environment: str) -> tuple[Celery, object]:
        # Published for real, as in production (the test settings run tasks inline).
        for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", EAGER):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("ELVIS_DATA_DIR", str(tmp_path))
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        settings = runpy.run_path(str(SETTINGS))
        app = Celery(set_as_current=False)
        app.config_from_object(
            SimpleNamespace(**{k: v for k, v in settings.items() if k.startswith("CELERY_")}),
            namespace="CELERY",
        )
        apps.append(app)

        @app.task(name="tests.outbox.deliver")
        def deliver(pk: int) -> None:
            """Never runs here: only published."""

        return app, deliver

    yield make
    for app in apps:
        app.close()


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_a_broker_that_never_answers_costs_one_short_timeout_per_batch(
    celery_app, silent_port, scheme, caplog
):
    _, deliver = celery_app(CELERY_BROKER_URL=f"{scheme}://127.0.0.1:{silent_port}/0")
    marked: list[int] = []

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="elvis.outbox"):
        outbox.enqueue(deliver, [1, 2, 3, 4], mark_enqueued=marked.append)
    elapsed = time.monotonic() - started

    assert marked == []
    assert elapsed < PROMPT
    warnings = [r.getMessage() for r in caplog.records if r.name == "elvis.outbox"]
    assert len(warnings) == 1
    assert "4 row(s) not enqueued, from 1" in warnings[0]
    assert warnings[0].endswith("the sweeper will retry")


def test_publishing_never_contacts_the_result_store(celery_app, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as result_store:
        port = result_store.getsockname()[1]
        # The embedded broker (folders): publishing works without a server.
        _, deliver = celery_app(CELERY_RESULT_BACKEND=f"redis://127.0.0.1:{port}/0")
        marked: list[int] = []

        started = time.monotonic()
        outbox.enqueue(deliver, [1, 2], mark_enqueued=marked.append)

        assert marked == [1, 2]
        assert time.monotonic() - started < PROMPT
        result_store.settimeout(0.5)
        with pytest.raises(TimeoutError):
            result_store.accept()  # nobody connected
    assert len(list((tmp_path / "celery" / "in").iterdir())) == 2
