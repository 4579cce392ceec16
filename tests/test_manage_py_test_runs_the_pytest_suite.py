"""``python manage.py test`` runs pytest (the suite is pytest's) and exits with its status,
where Django's own runner would find no test and report "Ran 0 tests … OK"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

PROBE = """
def test_that_passes():
    assert True


def test_that_fails():
    assert False
"""


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    path = tmp_path / "test_probe.py"
    path.write_text(PROBE)
    return path


def test_manage_py_test_runs_pytest_and_fails_when_a_test_fails(probe):
    # As a developer types it: no settings module chosen, no .env needed.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "test", str(probe), "-p", "no:cacheprovider"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
    assert "Ran 0 tests" not in result.stdout + result.stderr


def test_call_command_test_raises_when_pytest_fails(probe):
    with pytest.raises(CommandError, match="pytest exited with status 1"):
        call_command("test", f"{probe}::test_that_fails")
