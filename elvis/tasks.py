"""Project-wide tasks that belong to no single domain."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="elvis.ping")
def ping(payload: str = "pong") -> str:
    """Echo ``payload``: lets health checks and CI prove that a worker really executes tasks."""
    return payload
