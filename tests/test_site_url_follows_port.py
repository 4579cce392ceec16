"""Links in e-mails reach the server `make run` started: SITE_URL follows PORT when unset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _site_url(tmp_path: Path, **env: str) -> str:
    """SITE_URL as a fresh process (the development server's) reads it from its environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SITE_URL", "PORT"} and not k.startswith("DJANGO_")
    }
    base.update(DJANGO_SETTINGS_MODULE="elvis.settings", ELVIS_DATA_DIR=str(tmp_path), DEBUG="1")
    base.update(env)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.SITE_URL)",
        ],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_site_url_follows_the_port_make_run_serves_on(tmp_path):
    assert _site_url(tmp_path, PORT="8123") == "http://127.0.0.1:8123"


def test_site_url_defaults_to_port_8000(tmp_path):
    assert _site_url(tmp_path) == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins_over_the_port(tmp_path):
    assert _site_url(tmp_path, PORT="8123", SITE_URL="https://elvis.example.org") == (
        "https://elvis.example.org"
    )


def test_run_script_exports_the_port_to_the_server_and_workers():
    # The server and the Celery workers are child processes: they see PORT only if exported.
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert "export PORT=${PORT:-8000}" in script
