"""Running ``manage.py seed_demo`` in a test, and reading what it prints."""

from __future__ import annotations

import io

from django.core.management import call_command

from collections_app.demo.accounts import DEMO_PASSWORD


def seed(**options) -> str:
    """``seed_demo`` with ``options``; what it printed."""
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def login_lines(output: str) -> list[str]:
    """The printed demo logins (each line carries the public demo password)."""
    return [line for line in output.splitlines() if DEMO_PASSWORD in line]
