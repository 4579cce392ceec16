"""When a task's claim on an outbox row (an e-mail, a webhook delivery) is a dead task's.

A task claims its row (compare-and-set) before the side effect and settles it after. If its
worker dies in between (``kill -9``, a lost machine, the hard time limit), the row stays
claimed; the sweepers offer it again once the claim is older than any live task can be: the
task's hard time limit, plus a third for the kill to land and for clocks of different hosts
(the claim is stamped by the worker, judged by the sweeper).
"""

from __future__ import annotations

from datetime import timedelta

from celery import Task


def stale_claim_age(task: Task) -> timedelta:
    """How old a claim by ``task`` must be to be taken back: 60 s for a 45 s hard limit."""
    if not task.time_limit:
        raise ValueError(f"{task.name} has no hard time limit: its claims could never be stale")
    return timedelta(seconds=task.time_limit) * 4 / 3
