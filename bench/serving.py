"""Benchmark 3: ``GET /api/v1/specimens/`` under concurrent clients, against gunicorn.

gunicorn is started here on a free port of 127.0.0.1 and stopped at the end. Each case is
measured alone under the load ``bench/load.py`` applies (wrk for a duration, or Python threads
for a count of requests), after a warm-up over all of them, the cases in turn in ``ROUNDS``
slices each so that the pages compared meet the same machine. Page N is reached the way a client
reaches it, with a cursor: the cursor of the row just before page N's first row, built directly
(one OFFSET query at set-up) with the same encoder the API uses, instead of following 9,999
next links. The SQL queries per request are counted in-process with the test client, on the
same database."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from collections_app.models import Specimen
from collections_app.search import DEFAULT_ORDERING, order_specimens
from elvis.api.pagination import encode_cursor

from . import load
from .timing import Latencies

ROOT = Path(__file__).resolve().parent.parent
LIST = "/api/v1/specimens/"
#: Slices of each case's load, the cases taken in turn (``load.interleaved``).
ROUNDS = 4


@dataclass(frozen=True)
class Case:
    name: str
    params: dict[str, str]

    @property
    def path(self) -> str:
        return f"{LIST}?{urlencode(self.params)}"


@dataclass(frozen=True)
class CaseResult:
    case: Case
    latencies: Latencies
    errors: int
    queries: int
    results: int


def deep_cursor(page: int, page_size: int, ordering: str = DEFAULT_ORDERING) -> str:
    """The ``cursor`` that opens page ``page`` (counted from 1) of the unfiltered list."""
    specimens = order_specimens(Specimen.objects.all(), ordering)
    before = specimens[(page - 1) * page_size - 1]
    return encode_cursor(list(specimens.query.order_by), before)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], workers: int) -> Iterator[int]:
    """A gunicorn serving the app on 127.0.0.1; yields its port, stops it on exit."""
    port = free_port()
    binary = Path(sys.executable).parent / "gunicorn"
    command = [str(binary), "elvis.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_until_healthy(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)


def _wait_until_healthy(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if load.get_status(port, "/healthz/", {}) == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz/ in time")


def count_queries(path: str) -> tuple[int, int]:
    """SQL queries of one request to ``path`` (in-process), and the results it returned."""
    with CaptureQueriesContext(connection) as captured:
        response = Client().get(path, HTTP_ACCEPT="application/json")
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.content[:200]!r}")
    return len(captured), len(response.json()["results"])


def run_cases(
    cases: list[Case], env: dict[str, str], spec: load.LoadSpec, workers: int
) -> list[CaseResult]:
    """Each case alone under ``spec``'s load, after a warm-up over all of them; the cases
    in turn, in ``ROUNDS`` slices each (``load.interleaved``)."""
    counted = [count_queries(case.path) for case in cases]
    with gunicorn(env, workers) as port:
        load.apply_load(port, [case.path for case in cases], spec.warm_up())
        measured = load.interleaved(port, [[case.path] for case in cases], spec, ROUNDS)
    return [
        CaseResult(case, run.latencies, run.errors, queries, found)
        for case, run, (queries, found) in zip(cases, measured, counted, strict=True)
    ]
