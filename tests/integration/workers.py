"""Start a real ``celery worker`` process for integration tests and stop it afterwards; run
code in another process of the app (a ``manage.py shell``, standing for the web process)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

#: The test process's own choices, never a worker's: a worker gets what a test gives it.
NOT_INHERITED = {
    "DJANGO_SETTINGS_MODULE",
    # CI's DATABASE_URL names a database only the test databases are made from: a worker gets
    # the test database (``database_url()``) when a test gives it, else the default SQLite file
    # in its own data folder.
    "DATABASE_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "PROMETHEUS_MULTIPROC_DIR",
}


def worker_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production-like worker: real settings, no eager mode."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="elvis.settings",
        DEBUG="1",
        ELVIS_DATA_DIR=str(data_dir),
        PYTHONUNBUFFERED="1",
        DIGITISATION_PACKAGE_QUIET_SECONDS="0",
        **extra,
    )
    return env


@contextmanager
def running_worker(
    env: dict[str, str],
    queue: str | None,
    log: Path,
    *,
    name: str | None = None,
    pool: tuple[str, ...] = ("--pool=solo",),
) -> Iterator[subprocess.Popen]:
    """A worker consuming ``queue`` (None: the groups in the env's ``WORKER_QUEUES``, as
    production starts them), named ``name@host``; waits until it reports ready, kills it on
    exit. ``pool``: e.g. ``("--pool=prefork", "--concurrency=2")`` for parallel slots."""
    queues = ["-Q", queue] if queue else []
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                CELERY, "-A", "elvis", "worker", *queues, *pool,
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel=INFO", "--hostname", f"{name or queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text():
            if proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker not ready after 60 s:\n{log.read_text()}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def database_url() -> str:
    """The URL of the test database this test process uses, for the other processes."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def manage_shell(env: dict[str, str], code: str) -> str:
    """Run ``code`` in a ``manage.py shell`` with ``env``; its last line of output."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]
