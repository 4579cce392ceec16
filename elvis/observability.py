"""Settings-time helpers that make failures reach someone: ``ADMINS`` from one environment
variable, opt-in Sentry, and the logging configuration.

Imported by ``elvis.settings``, so nothing here may touch Django's settings or apps; what runs
per request or per task is in ``elvis.logcontext``.

Logs: JSON lines in production (one object per record, what log shippers parse without a
grammar), readable text in development. python-json-logger formats the standard library's
records, so every module keeps ``logging.getLogger(__name__)`` and Django's, Celery's and
libraries' own records come out the same way; django-structlog would have put a second logging
API beside the first. The request id is django-guid's (validated ``X-Request-ID`` or a fresh
one, returned in the response header); ``elvis.logcontext.LogContextFilter`` adds it, the
client's address and the Celery task id to each record.
"""

from __future__ import annotations

from email.utils import getaddresses
from typing import Any

from django.core.exceptions import ImproperlyConfigured


def parse_admins(value: str) -> list[tuple[str, str]]:
    """``ADMINS="Ada Admin <ada@example.org>, ops@example.org"`` as Django's ``ADMINS``.

    E-mail address syntax (RFC 5322, so a quoted name may hold a comma); a bare address is
    named after itself. A part without an ``@`` is a typo that would silently mail nobody.
    """
    admins = []
    for name, address in getaddresses([value]):
        if not address:
            continue
        if "@" not in address:
            raise ImproperlyConfigured(f"ADMINS: {address!r} is not an e-mail address.")
        admins.append((name or address, address))
    return admins


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float) -> bool:
    """Report errors of the web process and the workers to Sentry, if a DSN is given.

    Opt-in: without ``SENTRY_DSN`` the SDK is never initialised, so nothing leaves the site.
    Personal data (users' e-mail addresses, cookies, bodies) is not sent. Returns whether it
    was initialised.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False)],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
    )
    return True


TEXT_FORMAT = "{asctime} {levelname:<7} {name} [{request_id} {task_id}] {message}"


def logging_config(*, level: str, json: bool) -> dict[str, Any]:
    """``LOGGING``: every record to standard error through the context filter, as JSON lines
    or as text; errors of Django's request handling (500s) also mailed to ``ADMINS``."""
    formatter: dict[str, Any] = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        }
        if json
        else {
            "()": "logging.Formatter",
            "fmt": TEXT_FORMAT,
            "style": "{",
            "defaults": {"request_id": "-", "task_id": "-"},
        }
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "elvis.logcontext.LogContextFilter"},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "default",
            },
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
                "filters": ["require_debug_false"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own: 500s are mailed to ADMINS and, like everything, logged on console.
            "django": {"handlers": ["mail_admins"], "level": level},
            "django.db.backends": {"level": "WARNING"},
            # libvips reports every operation at INFO (pre-shrink, thread pools …).
            "pyvips": {"level": "WARNING"},
            # django-guid says at INFO, for every request, that it made up an id.
            "django_guid": {"level": "WARNING"},
        },
    }
