"""The Celery application: configured from Django settings (``CELERY_*``).

Broker: ``CELERY_BROKER_URL`` (Redis or RabbitMQ), else ``REDIS_URL``, otherwise kombu's
filesystem transport under ``var/celery`` (see settings). Either way tasks run in a real
``celery worker`` process, which counts their outcomes for Prometheus (``elvis.metrics``).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals

# Log records name their task and the request that caused it (connects signal handlers).
import elvis.logcontext  # noqa: F401
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
