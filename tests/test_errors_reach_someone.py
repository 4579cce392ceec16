"""A server error reaches a person: it is mailed to ``ADMINS`` (read from the environment), and
reported to Sentry when, and only when, ``SENTRY_DSN`` is set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import path

from elvis.observability import parse_admins

ROOT = Path(__file__).resolve().parent.parent


def broken_view(request):
    raise RuntimeError("the disk is on fire")


urlpatterns = [path("broken/", broken_view)]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_server_error_is_mailed_to_the_admins(settings):
    settings.ADMINS = [("Ada Admin", "ada@example.org")]

    response = Client(raise_request_exception=False).get("/broken/")

    assert response.status_code == 500
    [message] = mail.outbox
    assert message.to == ["ada@example.org"]
    assert "Internal Server Error: /broken/" in message.subject
    assert "the disk is on fire" in message.body


def test_admins_are_read_as_a_list_of_addresses():
    assert parse_admins('Ada Admin <ada@example.org>, "Ops, night" <ops@example.org>, x@y.org') == [
        ("Ada Admin", "ada@example.org"),
        ("Ops, night", "ops@example.org"),
        ("x@y.org", "x@y.org"),
    ]
    assert parse_admins("") == []


def test_an_admin_without_an_address_is_refused():
    with pytest.raises(ImproperlyConfigured):
        parse_admins("Ada Admin")


PROBE = (
    "import sentry_sdk; from django.conf import settings; client = sentry_sdk.get_client(); "
    "print(settings.ADMINS, client.is_active(), "
    "sorted(set(client.integrations) & {'django', 'celery'}))"
)


def settings_seen_with(**variables: str) -> str:
    """What a fresh process with these environment variables makes of ADMINS and Sentry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "ADMINS"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(DEBUG="1", **variables)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_sentry_reports_web_and_worker_errors_when_a_dsn_is_set():
    seen = settings_seen_with(
        SENTRY_DSN="https://public@127.0.0.1:9/1", ADMINS="Ada <ada@example.org>"
    )

    assert seen == "[('Ada', 'ada@example.org')] True ['celery', 'django']"


def test_without_a_dsn_sentry_is_not_initialised():
    assert settings_seen_with() == "[] False []"
