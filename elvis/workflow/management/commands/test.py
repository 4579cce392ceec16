"""``manage.py test``: the pytest suite, not Django's test runner.

The suite is written for pytest (fixtures, markers, pytest-django), which Django's runner does
not discover: left as it is, ``manage.py test`` would find nothing and report "Ran 0 tests …
OK". This command hands every argument to pytest instead (``manage.py test tests/test_x.py
-k name``) and exits with its status. ``make test`` remains the full run: it installs what
the browser tests need and runs the suite in several processes.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

#: The suite's settings (``pyproject.toml`` names the same for plain ``pytest``).
TEST_SETTINGS = "tests.settings"


class Command(BaseCommand):
    help = "Run the pytest suite (arguments go to pytest); `make test` is the full run."

    def run_from_argv(self, argv: list[str]) -> None:
        # Everything after "test" is pytest's: Django's option parser must not take any of it.
        try:
            status = run_pytest(argv[2:])
        except CommandError as error:
            self.stderr.write(f"CommandError: {error}")
            status = 1
        sys.exit(status)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("args", nargs="*", help="Test paths and node ids, for pytest.")

    def handle(self, *args: str, **options: object) -> None:
        # Reached through call_command("test", …), which parses no pytest options.
        status = run_pytest(list(args))
        if status:
            raise CommandError(f"pytest exited with status {status}.")


def run_pytest(arguments: list[str]) -> int:
    """Run pytest in a process of its own, with the suite's settings, and return its status.

    A process of its own, because this one has already set Django up with other settings.
    """
    if importlib.util.find_spec("pytest") is None:
        raise CommandError(
            "pytest is not installed: run the suite with `make test` (it installs the "
            "development requirements), or `pip install -r requirements-dev.txt`."
        )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": TEST_SETTINGS}
    return subprocess.call([sys.executable, "-m", "pytest", *arguments], env=env)
