"""ELViS project package: settings, URLs, the Celery app and the shared workflow core."""

from __future__ import annotations

from .celery import app as celery_app

__all__ = ("celery_app",)
