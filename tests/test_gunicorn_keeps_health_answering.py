"""gunicorn runs threads (``gthread``, gunicorn.conf.py) so that the health probe is answered
while requests occupy the other threads: a live gunicorn with one process of two threads, one
of them held by a client that never finishes its request, still answers ``/healthz/``."""

from __future__ import annotations

import gc
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def test_the_config_reads_workers_threads_and_timeouts_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_WORKERS", "3")
    monkeypatch.setenv("WEB_THREADS", "12")
    monkeypatch.setenv("WEB_TIMEOUT", "45")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert config["worker_class"] == "gthread"
    assert (config["workers"], config["threads"], config["timeout"]) == (3, 12, 45)


def test_a_worker_sets_the_loaded_app_outside_the_garbage_collector(monkeypatch):
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    steps: list[str] = []

    class Resolver:
        @property
        def url_patterns(self) -> list:
            steps.append("URLconf imported")
            return []

    monkeypatch.setattr("django.urls.get_resolver", Resolver)
    monkeypatch.setattr(gc, "freeze", lambda: steps.append("frozen"))

    config["post_worker_init"](None)

    assert steps == ["URLconf imported", "frozen"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _health(port: int, timeout: float) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=timeout) as answer:
        return answer.status


def test_health_answers_while_the_other_thread_is_held_by_a_slow_request(tmp_path):
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DJANGO_SETTINGS_MODULE": "elvis.settings",
        "DEBUG": "1",
        "ELVIS_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'health.sqlite3'}",
        "WEB_WORKERS": "1",
        "WEB_THREADS": "2",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [GUNICORN, "elvis.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _health(port, 2) == 200
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)
        # A client that sends half a request and waits: a thread reads it, blocked.
        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            time.sleep(0.5)
            # A sync worker would be stuck on that client until its timeout (30 s).
            assert _health(port, 5) == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
