"""WSGI entry point (gunicorn ``elvis.wsgi:application``; ``runserver`` through
``WSGI_APPLICATION``). Django's own handler, with the request class of ``elvis.handlers``."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "elvis.settings")
django.setup(set_prefix=False)  # what django.core.wsgi.get_wsgi_application does first

from django.conf import settings  # noqa: E402

from elvis.db_timeouts import limit_statements  # noqa: E402
from elvis.handlers import WSGIHandler  # noqa: E402

# This process serves requests: their statements get the web's timeout (elvis.db_timeouts).
limit_statements(settings.DB_STATEMENT_TIMEOUT_MS)
application = WSGIHandler()
