"""A web request's statement is cancelled after ``DB_STATEMENT_TIMEOUT_MS`` on PostgreSQL and
the request answers 503 (JSON under /api/, a page elsewhere), never a 500; the limit belongs to
the web process (``elvis.wsgi``) and to workers, not to management commands such as
``migrate`` or ``import_dwca``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import override_settings
from django.urls import path

from elvis.db_timeouts import limit_statements

ROOT = Path(__file__).resolve().parent.parent
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's; CI runs both"
)


def slow(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")
    return JsonResponse({"slept": True})


urlpatterns = [path("api/v1/slow/", slow), path("slow/", slow)]


@pytest.fixture
def web_limit():
    """This process as the web: statements of new connections limited to 100 ms."""
    connection.close()
    limit_statements(100)
    yield
    limit_statements(0)
    connection.close()


@postgresql_only
@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__)
def test_a_cancelled_statement_answers_503_in_json_under_the_api(client, web_limit):
    response = client.get("/api/v1/slow/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database is busy. Please try again in a moment."}


@postgresql_only
@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__)
def test_a_cancelled_statement_answers_a_503_page_elsewhere(client, web_limit):
    response = client.get("/slow/")

    assert response.status_code == 503
    assert b"ELViS is busy" in response.content
    # The connection is usable again for the next request.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _limit_in(code: str, **env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**_environ(), "DB_STATEMENT_TIMEOUT_MS": "4321", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def _environ() -> dict[str, str]:
    import os

    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DJANGO_SETTINGS_MODULE": "elvis.settings",
        "DEBUG": "1",
    }


def test_the_web_process_limits_its_statements_and_a_management_command_does_not():
    web = (
        "import elvis.wsgi; from elvis.db_timeouts import statement_limit; print(statement_limit())"
    )
    command = (
        "import django; django.setup(); from elvis.db_timeouts import statement_limit; "
        "print(statement_limit())"
    )
    worker = (
        "import django; django.setup(); from celery import signals; import elvis.celery; "
        "signals.worker_init.send(sender=None); "
        "from elvis.db_timeouts import statement_limit; print(statement_limit())"
    )
    assert _limit_in(web) == "4321"
    assert _limit_in(command) == "0"
    assert _limit_in(worker, DB_TASK_STATEMENT_TIMEOUT_MS="60000") == "60000"
