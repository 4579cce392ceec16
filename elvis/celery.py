"""The Celery application: configured from Django settings (``CELERY_*``).

Broker: ``CELERY_BROKER_URL`` (Redis or RabbitMQ), else ``REDIS_URL``, otherwise kombu's
filesystem transport under ``var/celery`` (see settings). Either way tasks run in a real
``celery worker`` process, which counts their outcomes for Prometheus (``elvis.metrics``).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals
from django.conf import settings

# Log records name their task and the request that caused it (connects signal handlers).
import elvis.logcontext  # noqa: F401
from elvis.db_timeouts import limit_statements
from elvis.metrics import tasks as _task_metrics  # noqa: F401  (connects the signal receivers)
from elvis.metrics.multiprocess import start_process_group

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "elvis.settings")

app = Celery("elvis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _start_metrics(**_: Any) -> None:
    """A worker starting anew drops its previous run's metric files (multiprocess mode)."""
    start_process_group()


@signals.worker_init.connect
def _limit_task_statements(**_: Any) -> None:
    """Tasks' statements get the workers' timeout (elvis.db_timeouts), longer than the web's."""
    limit_statements(settings.DB_TASK_STATEMENT_TIMEOUT_MS)


def queue_names(groups: list[str]) -> list[str]:
    """The queues of the named groups: ``default`` (e-mail, pipeline, sweepers: every task not
    routed elsewhere) and ``webhooks`` (deliveries, which may wait on a slow partner)."""
    by_group = {
        "default": settings.CELERY_TASK_DEFAULT_QUEUE,
        "webhooks": settings.CELERY_WEBHOOK_QUEUE,
    }
    unknown = set(groups) - set(by_group)
    if unknown:
        raise ValueError(f"WORKER_QUEUES: unknown queue group(s) {sorted(unknown)}")
    return [by_group[group] for group in groups]


@signals.celeryd_after_setup.connect
def _consume_worker_queues(sender: str, instance: Any, **_: Any) -> None:
    """A worker consumes the queue groups in ``WORKER_QUEUES``, so that a deployment starts one
    worker per group without knowing the site's queue names (``CELERY_QUEUE``). A ``-Q`` that
    names some of the queues wins."""
    queues = instance.app.amqp.queues
    if set(queues.consume_from) != set(queues):
        return
    queues.select(queue_names(settings.WORKER_QUEUES))
