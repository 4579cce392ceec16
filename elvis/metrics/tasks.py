"""Celery task outcomes, counted per task name from Celery's signals.

Connected when the Celery app is imported (``elvis.celery``), so every worker process counts
the tasks it runs, and eager runs in the web process count too.
"""

from __future__ import annotations

from typing import Any

from celery import Task, signals
from prometheus_client import Counter

TASK_OUTCOMES = Counter(
    "elvis_celery_tasks",
    "Celery tasks run, by task name and outcome (succeeded, failed, retried).",
    ["task", "outcome"],
)


def _count(sender: Task | None, outcome: str) -> None:
    TASK_OUTCOMES.labels(task=getattr(sender, "name", None) or "unknown", outcome=outcome).inc()


@signals.task_success.connect
def _succeeded(sender: Task | None = None, **_: Any) -> None:
    _count(sender, "succeeded")


@signals.task_failure.connect
def _failed(sender: Task | None = None, **_: Any) -> None:
    _count(sender, "failed")


@signals.task_retry.connect
def _retried(sender: Task | None = None, **_: Any) -> None:
    _count(sender, "retried")
