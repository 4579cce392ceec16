"""Statement timeouts on PostgreSQL, per kind of process, and the 503 a cancelled one answers.

Under a slow database a web request must not hold a gunicorn thread until gunicorn kills the
worker: its statements are cancelled after ``DB_STATEMENT_TIMEOUT_MS`` and the request answers
503 with ``Retry-After`` (JSON under ``/api/``, a page elsewhere), never a 500 traceback. A
task may run longer statements (``DB_TASK_STATEMENT_TIMEOUT_MS``), and a management command
(``migrate``, ``import_dwca`` rebuilding indexes) none: the limit is chosen by the process
once (``elvis.wsgi`` for the web, ``elvis.celery`` for a worker), not by the settings every
process shares. Each new connection then sets it in its first statement; persistent
connections (``CONN_MAX_AGE``) keep it, so it costs one round trip per connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .errors import error_response

logger = logging.getLogger(__name__)

#: PostgreSQL's SQLSTATE for a statement cancelled by ``statement_timeout`` (or by a cancel).
QUERY_CANCELED = "57014"
#: Seconds a client is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5

_limit_ms = 0


def limit_statements(milliseconds: int) -> None:
    """Cancel this process's statements after ``milliseconds`` (0: no limit) on connections
    opened from now on."""
    global _limit_ms
    _limit_ms = max(0, int(milliseconds))


def statement_limit() -> int:
    """This process's limit in milliseconds (0: none)."""
    return _limit_ms


def _set_statement_timeout(
    sender: type[BaseDatabaseWrapper], connection: BaseDatabaseWrapper, **_: Any
) -> None:
    if _limit_ms and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [str(_limit_ms)])


connection_created.connect(_set_statement_timeout, dispatch_uid="elvis.db_timeouts")


def is_cancelled_statement(exc: BaseException) -> bool:
    """A database error caused by a cancelled statement (psycopg's ``QueryCanceled``)."""
    return isinstance(exc, OperationalError) and (
        getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED
    )


class StatementTimeoutMiddleware:
    """A view whose statement was cancelled answers 503, logged, instead of a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_cancelled_statement(exception):
            return None
        logger.warning(
            "statement cancelled after %s ms: %s %s answered 503",
            _limit_ms,
            request.method,
            request.path,
        )
        response = error_response(
            request, 503, _("The database is busy. Please try again in a moment.")
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
