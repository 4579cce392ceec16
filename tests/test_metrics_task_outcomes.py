"""Celery task outcomes per task name: succeeded, failed and retried, counted from Celery's
signals (tasks run eagerly here; ``integration/test_metrics_from_a_real_worker.py`` shows a
real worker's counts reaching ``/metrics``)."""

from __future__ import annotations

import pytest
from celery import shared_task

from elvis.tasks import ping

from . import metrics_support as support
from .metrics_support import sample, scrape

pytestmark = pytest.mark.django_db
metrics_token = support.metrics_token
COUNTER = "elvis_celery_tasks_total"


@shared_task(name="tests.metrics.fails")
def fails() -> None:
    raise ValueError("a permanent failure")


@shared_task(bind=True, name="tests.metrics.flaky", max_retries=1)
def flaky(self, attempt: int = 1) -> str:
    if attempt == 1:
        raise self.retry(args=[2], countdown=0)
    return "done"


def _outcomes(client, task: str) -> dict[str, float]:
    samples = scrape(client)
    return {
        outcome: sample(samples, COUNTER, task=task, outcome=outcome)
        for outcome in ("succeeded", "failed", "retried")
    }


def test_a_task_that_succeeds_is_counted_as_succeeded(client, metrics_token):
    before = _outcomes(client, "elvis.ping")
    assert ping.delay("hello").get() == "hello"
    assert _outcomes(client, "elvis.ping") == {**before, "succeeded": before["succeeded"] + 1}


def test_a_task_that_raises_is_counted_as_failed(client, metrics_token):
    before = _outcomes(client, "tests.metrics.fails")
    # throw=False: as a worker does, the failure is recorded rather than raised to the caller.
    assert fails.apply(throw=False).failed()
    assert _outcomes(client, "tests.metrics.fails") == {**before, "failed": before["failed"] + 1}


def test_a_task_that_retries_is_counted_as_retried_then_succeeded(client, metrics_token):
    before = _outcomes(client, "tests.metrics.flaky")
    assert flaky.apply(throw=False).get(propagate=False) == "done"
    assert _outcomes(client, "tests.metrics.flaky") == {
        "succeeded": before["succeeded"] + 1,
        "failed": before["failed"],
        "retried": before["retried"] + 1,
    }
