"""Project-wide tasks that belong to no single domain."""

from __future__ import annotations

from celery import shared_task


# Its result is read (the worker integration tests send it and wait for the echo), unlike
# other tasks' (CELERY_TASK_IGNORE_RESULT).
@shared_task(name="elvis.ping", ignore_result=False)
def ping(payload: str = "pong") -> str:
    """Echo ``payload``: lets health checks and CI prove that a worker really executes tasks."""
    return payload
