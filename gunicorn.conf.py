"""gunicorn settings read from the working folder by every `gunicorn` command (the Dockerfile's
and docker-compose's): prometheus_client's multiprocess mode across the workers."""

from __future__ import annotations

from typing import Any

from elvis.metrics.multiprocess import process_exited, start_process_group


def on_starting(server: Any) -> None:
    """Before any worker forks: a fresh metrics folder for this web container."""
    start_process_group()


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exited leaves its counters (still counted) but not its live gauges."""
    process_exited(worker.pid)
