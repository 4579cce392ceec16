"""Handing outbox rows (e-mails, webhook deliveries) to the broker, never losing one.

A row is written in the transaction that decided it must go out; it is handed to the broker
only after that transaction commits. If the broker is unreachable the row stays pending and the
app's sweeper hands it over again later, so a broker outage delays a message but never loses
it. ``mark_enqueued`` records the hand-over on the row, which the sweeper reads.

Publishing runs in the request that committed (or in a task), so it must never hold it: each
message is tried once (``retry=False``; the broker's connect and socket timeouts and
``max_retries`` 0 are in the settings), and after the first refusal the rest of the batch is
left to the sweeper at once rather than each waiting out the same timeout. Tasks ignore their
results (``task_ignore_result``), so publishing never touches the result store either.
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
    """Send ``task(pk)`` for each row now; once the broker refuses one, the rest stay for the
    sweeper too."""
    ids = list(ids)
    for position, pk in enumerate(ids):
        try:
            # Celery takes any sequence of args, and countdown=None (the stubs: a tuple, a float).
            task.apply_async(args=[pk], countdown=countdown, retry=False)  # type: ignore[arg-type]
        except Exception as exc:  # broker down: kombu raises OperationalError and friends
            logger.warning(
                "%s: %d row(s) not enqueued, from %s (%s); the sweeper will retry",
                task.name,
                len(ids) - position,
                pk,
                exc,
            )
            return
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
