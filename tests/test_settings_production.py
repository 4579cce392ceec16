"""Production settings: DEBUG off is safe by default and `check --deploy` is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_"))
        and k
        not in {
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "CELERY_TASK_ALWAYS_EAGER",
            "DATABASE_URL",
            "REDIS_URL",
            "EMAIL_URL",
        }
    }
    base.update(DJANGO_SETTINGS_MODULE="elvis.settings", ELVIS_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_debug_off(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DEBUG="0",
        SECRET_KEY="k" * 20 + "-production-grade-secret-with-enough-entropy-1234567890",
        ALLOWED_HOSTS="elvis.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("command", ["check", "makemigrations"])
def test_startup_refuses_a_missing_secret_key_when_debug_is_off_in_one_clear_line(
    tmp_path, command
):
    # makemigrations is one of Django's commands that would otherwise run without settings and
    # fail with "Models aren't loaded yet".
    result = _manage(command, tmp_path=tmp_path, DEBUG="0")

    assert result.returncode == 1
    assert result.stderr == (
        "ELViS settings: SECRET_KEY must be set when DEBUG is off (see .env.example).\n"
    )


#: The defaults a production process must have when nothing overrides them.
PRODUCTION_DEFAULTS = [
    ("SESSION_COOKIE_SECURE", "True"),
    ("CSRF_COOKIE_SECURE", "True"),
    ("SECURE_SSL_REDIRECT", "True"),
    ("SECURE_HSTS_SECONDS", "31536000"),
    ("DEBUG", "False"),
]


@pytest.fixture(scope="module")
def debug_off_settings(tmp_path_factory) -> dict[str, str]:
    """What one process started with DEBUG off (and nothing else set) prints for each of
    ``PRODUCTION_DEFAULTS``: one process for all of them, as each would see the same."""
    names = [name for name, _expected in PRODUCTION_DEFAULTS]
    code = "from django.conf import settings; " + "; ".join(
        f"print({name!r}, settings.{name}, sep='=')" for name in names
    )
    result = _manage(
        "shell",
        "-c",
        code,
        tmp_path=tmp_path_factory.mktemp("debug-off"),
        DEBUG="0",
        SECRET_KEY="s" * 60,
        ALLOWED_HOSTS="elvis.example.org",
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip().splitlines()[-len(names) :]
    assert [line.partition("=")[0] for line in printed] == names, result.stdout
    return dict(line.partition("=")[::2] for line in printed)


@pytest.mark.parametrize(("name", "expected"), PRODUCTION_DEFAULTS)
def test_debug_off_defaults_are_production_safe(debug_off_settings, name, expected):
    assert debug_off_settings[name] == expected


def test_embedded_mode_uses_sqlite_and_the_filesystem_broker_under_the_data_folder(tmp_path):
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE']); print(s.CELERY_BROKER_URL); "
        "print(s.DATABASES['default']['NAME']); print(s.EMAIL_BACKEND)",
        tmp_path=tmp_path,
        DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    engine, broker, name, email = result.stdout.strip().splitlines()[-4:]
    assert engine == "django.db.backends.sqlite3"
    assert broker == "filesystem://"
    assert name == str(tmp_path / "db.sqlite3")
    assert email.endswith("filebased.EmailBackend")


@pytest.mark.parametrize("size", ["lots", "16mb", "512kB", "0MB", "2048GB"])
def test_startup_refuses_an_index_build_memory_postgresql_would_not_take(tmp_path, size):
    """Refused at start, not when an import's rebuild would fail to set it."""
    result = _manage("check", tmp_path=tmp_path, DEBUG="1", DWCA_INDEX_BUILD_MEMORY=size)

    assert result.returncode == 1
    assert result.stderr == (
        "ELViS settings: DWCA_INDEX_BUILD_MEMORY must be a size from 1MB to 2047GB, such as 16MB.\n"
    )


@pytest.mark.parametrize("size", ["1MB", "2047GB"])
def test_the_index_build_memory_takes_postgresqls_whole_range(tmp_path, size):
    result = _manage("check", tmp_path=tmp_path, DEBUG="1", DWCA_INDEX_BUILD_MEMORY=size)

    assert result.returncode == 0, result.stderr
