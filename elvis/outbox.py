"""Handing outbox rows (e-mails, webhook deliveries) to the broker, never losing one.

A row is written in the transaction that decided it must go out; it is handed to the broker
only after that transaction commits. If the broker is unreachable the row stays pending and the
app's sweeper hands it over again later, so a broker outage delays a message but never loses
it. ``mark_enqueued`` records the hand-over on the row, which the sweeper reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(
    task: Task,
    ids: Iterable[int],
    *,
    mark_enqueued: Callable[[int], object],
    countdown: float | None = None,
) -> None:
    """Send ``task(pk)`` for each row now; a row the broker refuses stays for the sweeper."""
    for pk in ids:
        try:
            # Celery takes any sequence of args, and countdown=None (the stubs: a tuple, a float).
            task.apply_async(args=[pk], countdown=countdown, retry=False)  # type: ignore[arg-type]
        except Exception as exc:  # broker down: kombu raises OperationalError and friends
            logger.warning("%s(%s) not enqueued (%s); the sweeper will retry", task.name, pk, exc)
        else:
            mark_enqueued(pk)


def enqueue_on_commit(
    task: Task,
    ids: Iterable[int],
    *,
    mark_enqueued: Callable[[int], object],
    countdown: float | None = None,
) -> None:
    """``enqueue`` once the current transaction commits (at once outside one)."""
    ids = list(ids)
    if ids:
        transaction.on_commit(
            lambda: enqueue(task, ids, mark_enqueued=mark_enqueued, countdown=countdown)
        )
