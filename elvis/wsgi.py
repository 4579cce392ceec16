"""WSGI entry point (gunicorn ``elvis.wsgi:application``; ``runserver`` through
``WSGI_APPLICATION``). Django's own handler, with the request class of ``elvis.handlers``."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "elvis.settings")
django.setup(set_prefix=False)  # what django.core.wsgi.get_wsgi_application does first

from elvis.handlers import WSGIHandler  # noqa: E402

application = WSGIHandler()
