"""What each log record says about where it came from: the request id, the client's address,
and the Celery task.

- The request id is django-guid's (its middleware accepts an ``X-Request-ID`` that is a UUID,
  makes one up otherwise, and returns it in the response). It travels with the tasks a
  request enqueues, in a message header, so a worker's records of that work carry it too.
- The client's address is ``elvis.clientip``'s, the one the lock-out and throttles use.
- The task id and name are Celery's current task's, in the worker as in eager mode.

Signal handlers are connected when this module is imported: ``elvis.celery`` imports it, so
every process that can send or run a task has them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from celery import Task
from celery._state import get_current_task
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django_guid.api import clear_guid, get_guid, set_guid

from elvis.clientip import client_ip

#: The message header that carries the request id to the worker.
REQUEST_ID_HEADER = "elvis_request_id"

_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


class LogContextFilter(logging.Filter):
    """Adds ``request_id``, ``client_ip``, ``task_id`` and ``task_name`` to a record when they
    are known (JSON lines then carry only what applies; the text format shows ``-``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = {"request_id": get_guid(), "client_ip": _client_ip.get()}
        task = get_current_task()
        if task is not None and task.request.id:
            context.update(task_id=task.request.id, task_name=task.name)
        for key, value in context.items():
            if value and not hasattr(record, key):
                setattr(record, key, value)
        return True


class ClientAddressMiddleware:
    """Keeps the client's address for the records logged while the request is handled.

    Forgotten when the request is finished, not when this middleware returns: Django logs a
    4xx or 5xx answer after the whole middleware chain has returned it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _client_ip.set(client_ip(request))
        return self.get_response(request)


@receiver(request_finished)
def _forget_client_ip(**kwargs: Any) -> None:
    _client_ip.set(None)


@before_task_publish.connect
def _send_request_id(headers: dict[str, Any], **kwargs: Any) -> None:
    request_id = get_guid()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id


@task_prerun.connect
def _adopt_request_id(task: Task, **kwargs: Any) -> None:
    # An eager task runs inside the request (or task) that called it: its id is already set.
    if not task.request.is_eager:
        set_guid(task.request.get(REQUEST_ID_HEADER))


@task_postrun.connect
def _forget_request_id(task: Task, **kwargs: Any) -> None:
    if not task.request.is_eager:
        clear_guid()
