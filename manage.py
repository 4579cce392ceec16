#!/usr/bin/env python
"""Django's command-line utility for ELViS."""

from __future__ import annotations

import os
import sys


def main() -> None:
    # ``manage.py test`` runs the pytest suite, with its settings (no .env needed).
    test = sys.argv[1:2] == ["test"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings" if test else "elvis.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings
    except ImproperlyConfigured as exc:
        # Django would run the command anyway and fail with "Models aren't loaded yet".
        sys.exit(f"ELViS settings: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
