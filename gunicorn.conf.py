"""gunicorn settings read from the working folder by every `gunicorn` command (the Dockerfile's
and docker-compose's): the worker model, its timeouts, and prometheus_client's multiprocess
mode across the workers.

Threads (``gthread``), not one request per process (``sync``): a request waiting on a slow
database holds one thread, and the health probe is answered by another of the
``WEB_WORKERS`` × ``WEB_THREADS`` instead of queueing behind the slow ones until the
orchestrator gives up and restarts the service. A statement is cancelled after
``DB_STATEMENT_TIMEOUT_MS`` (10 s; the request answers 503), well before ``WEB_TIMEOUT``
restarts a silent worker. Each thread keeps its own database connection: PostgreSQL must allow
``WEB_WORKERS`` × ``WEB_THREADS`` connections per web container, plus the workers'.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from elvis.metrics.multiprocess import process_exited, start_process_group

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
# Seconds a worker may stay silent (a request stuck past every timeout) before it is restarted.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# Seconds to finish the requests in flight on a restart or a deploy.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
# Seconds an idle keep-alive connection (from the proxy in front) is kept open.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))
# The longest request line (method, URL, protocol) answered rather than refused with 414: a
# keyset cursor (base64 JSON) beside several filters passes gunicorn's 4 KiB default; 8190 is its
# ceiling, and what nginx's default large_client_header_buffers (8 KiB) lets through anyway.
limit_request_line = int(os.environ.get("WEB_LIMIT_REQUEST_LINE", "8190"))


def on_starting(server: Any) -> None:
    """Before any worker forks: a fresh metrics folder for this web container."""
    start_process_group()


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exited leaves its counters (still counted) but not its live gauges."""
    process_exited(worker.pid)


def post_worker_init(worker: Any) -> None:
    """Once a worker has loaded the app, its objects (every module, model, serializer and URL
    pattern: ≈ 170,000 of them) are set outside the garbage collector's reach. They live as
    long as the process, yet each older-generation collection walked them all again; frozen,
    a specimen list request spends half the time it did in the collector (0.25 → 0.13 ms of
    ≈ 1.4 ms, bench/README.md). The URLconf is imported first, as the first request would."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — imports the URLconf and every view behind it
    gc.collect()
    gc.freeze()
