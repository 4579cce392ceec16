"""Operational limits are set and read from the environment: the SMTP timeout, database
connections checked before reuse, a time limit on every task, and results kept only for the
task whose result is read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.mail import get_connection

import elvis.tasks  # noqa: F401  (registers elvis.ping)

ROOT = Path(__file__).resolve().parent.parent


def test_smtp_connections_give_up_after_the_email_timeout():
    smtp = get_connection("django.core.mail.backends.smtp.EmailBackend")

    assert smtp.timeout == settings.EMAIL_TIMEOUT == 10


def test_persistent_database_connections_are_checked_before_reuse():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_every_task_has_a_soft_and_a_hard_time_limit():
    conf = current_app.conf

    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_time_limit < settings.DIGITISATION_STALE_CLAIM_SECONDS


def test_only_the_ping_keeps_its_result():
    ours = {
        name: task
        for name, task in current_app.tasks.items()
        if not name.startswith(("celery.", "tests."))
    }

    assert current_app.conf.task_ignore_result is True
    assert {name for name, task in ours.items() if not task.ignore_result} == {"elvis.ping"}
    assert len(ours) > 5  # the apps' tasks are all there, ignoring theirs


PROBE = (
    "from django.conf import settings; from celery import current_app as app; "
    "db = settings.DATABASES['default']; "
    "print(settings.EMAIL_TIMEOUT, db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'], "
    "app.conf.task_soft_time_limit, app.conf.task_time_limit)"
)


def test_the_limits_come_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DEBUG="1",
        DATABASE_URL="postgres://nobody@127.0.0.1:5432/never_connected",
        EMAIL_TIMEOUT="3",
        CONN_MAX_AGE="120",
        CONN_HEALTH_CHECKS="0",
        CELERY_TASK_SOFT_TIME_LIMIT="50",
        CELERY_TASK_TIME_LIMIT="60",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "3 120 False 50 60"
