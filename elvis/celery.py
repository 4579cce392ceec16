"""The Celery application: configured from Django settings (``CELERY_*``).

Broker: Redis when ``REDIS_URL`` is set, otherwise kombu's filesystem transport under
``var/celery`` (see settings). Either way tasks run in a real ``celery worker`` process.
"""

from __future__ import annotations

import os

from celery import Celery

# Log records name their task and the request that caused it (connects signal handlers).
import elvis.logcontext  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "elvis.settings")

app = Celery("elvis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
