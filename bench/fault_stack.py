"""ELViS as production runs it, for ``make faults``: gunicorn (the compose file's command and the
project's gunicorn.conf.py), a Celery worker for every queue the settings route to, and beat, on
a throwaway PostgreSQL database and a Redis database of its own — each service reached through a
FaultProxy (tests/fault_proxy.py) so that a fault can be put on the path, never on the service.
Everything started here is stopped, and the database dropped, on exit.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

import psycopg
import redis
import yaml

from tests.fault_proxy import FaultProxy

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
INSTITUTION = "NHM"
RESEARCHER = "researcher@demo.example.org"
DEMO_PASSWORD = "elvis-demo-2026"

#: Prints the queues the settings route tasks to (the default one first), in the app's process.
QUEUES_CODE = """
import json
from django.conf import settings
from bench.fault_stack import routed_queues
print(json.dumps(routed_queues(settings.CELERY_TASK_DEFAULT_QUEUE,
                               getattr(settings, "CELERY_TASK_ROUTES", None),
                               getattr(settings, "CELERY_TASK_QUEUES", None))))
"""


def routed_queues(default: str, routes: Any, queues: Any = None) -> list[str]:
    """Every queue a task can be sent to: the default, each route's (a route maps a task name
    or pattern to a queue name or to options with ``queue``; a list holds several such maps),
    and each declared queue. Routers given as functions cannot be read and are skipped."""
    names = [default]

    def add(name: Any) -> None:
        name = getattr(name, "name", name)  # a kombu Queue
        if isinstance(name, str) and name and name not in names:
            names.append(name)

    for table in routes if isinstance(routes, list | tuple) else [routes]:
        if isinstance(table, dict):
            for target in table.values():
                add(target.get("queue") if isinstance(target, dict) else target)
    for queue in queues or ():
        add(queue)
    return names


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def compose_gunicorn_args(port: int) -> list[str]:
    """The web service's gunicorn command in docker-compose.yml, bound to ``port`` here."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["command"]
    text = command if isinstance(command, str) else shlex.join(command)
    text = text[text.index("gunicorn ") :]
    words = shlex.split(text.split("&&")[0].rstrip('"'))
    args: list[str] = []
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
        elif word in {"--bind", "-b"}:
            skip = True
        elif not word.startswith(("--bind=", "-b=")):
            args.append(word)
    return [str(BIN / "gunicorn"), *args, "--bind", f"127.0.0.1:{port}"]


def stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a process started in its own session and whatever it left in its group."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid …": comm may hold spaces, so split after its ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


class Stack:
    """Database, proxies and processes of one benchmark run."""

    def __init__(self, stack: ExitStack, work: Path, pg: str, redis_url: str, say: Any) -> None:
        self.exit, self.work, self.say = stack, work, say
        self.pg_server = pg.rstrip("/")
        self.database = f"elvis_faults_{os.getpid()}"
        pg_host, pg_port = _host_port(self.pg_server, 5432)
        redis_host, redis_port = _host_port(redis_url, 6379)
        self.redis_db = redis_url.rsplit("/", 1)[1] if redis_url.count("/") > 2 else "0"
        self.redis_direct = redis_url
        self.pg_proxy = stack.enter_context(FaultProxy(pg_host, pg_port))
        self.redis_proxy = stack.enter_context(FaultProxy(redis_host, redis_port))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers: dict[str, subprocess.Popen] = {}

    @property
    def direct_database_url(self) -> str:
        return f"{self.pg_server}/{self.database}"

    def environment(self, smtp_port: int, receiver_port: int) -> dict[str, str]:
        """Production settings (DEBUG off), with the services behind the proxies."""
        user = self.pg_server.split("://", 1)[1].rsplit("@", 1)[0] + "@"
        if "@" not in self.pg_server:
            user = ""
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("CELERY_", "DJANGO_", "PROMETHEUS_"))
            and name not in {"REDIS_URL", "DATABASE_URL", "EMAIL_URL", "DEBUG"}
        }
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "elvis.settings",
            "DEBUG": "0",
            "SECRET_KEY": f"faults-bench-only-{time.time_ns()}-not-a-secret-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": self.url,
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "DATABASE_URL": f"postgres://{user}{self.pg_proxy.address}/{self.database}",
            "REDIS_URL": f"redis://{self.redis_proxy.address}/{self.redis_db}",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "ELVIS_DATA_DIR": str(self.work / "data"),
            "STATIC_ROOT": str(self.work / "static"),
            "WEBHOOK_ALLOW_HTTP": "1",
            "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
            "WEBHOOK_ALLOWED_PORTS": str(receiver_port),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def prepare(self, env: dict[str, str]) -> None:
        """A new database with the demo data, and an empty Redis database."""
        self.env = env
        self._sql(f'CREATE DATABASE "{self.database}"')
        self.exit.callback(self._sql, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        flush = redis.Redis.from_url(self.redis_direct)
        flush.flushdb()
        self.exit.callback(flush.flushdb)
        self.say(f"database {self.database}: migrate, collectstatic, seed_demo --specimens 100")
        direct = {**env, "DATABASE_URL": self.direct_database_url}
        for command in (
            ["migrate", "--noinput", "-v0"],
            ["collectstatic", "--noinput", "-v0"],
            ["seed_demo", "--specimens", "100"],
        ):
            self.manage(command, direct)
        self.queues = json.loads(self.manage(["shell", "-c", QUEUES_CODE], env).splitlines()[-1])

    def manage(self, command: list[str], env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT, env=env or self.env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(f"manage.py {command[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self) -> None:
        self.web = self._spawn("web.log", *compose_gunicorn_args(self.port))
        self.beat = self._spawn(
            "beat.log", str(BIN / "celery"), "-A", "elvis", "beat", "--loglevel=INFO",
            f"--schedule={self.work / 'celerybeat-schedule'}",
        )  # fmt: skip
        self.start_workers()
        deadline = time.monotonic() + 90
        while not self.healthy():
            if self.web.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not come up:\n{self.tail('web.log')}")
            time.sleep(0.3)
        self.say(
            f"gunicorn {self.url} ({len(children_of(self.web.pid))} workers), "
            f"a worker per queue ({', '.join(self.queues)}), beat"
        )

    def start_workers(self) -> None:
        """A worker per queue, each in its own session (so that it can be killed whole)."""
        for queue in self.queues:
            log = f"worker-{queue}.log"
            with (self.work / log).open("a") as out:
                out.write(f"--- started {time.strftime('%H:%M:%S')}\n")
            self.workers[queue] = self._spawn(
                log, str(BIN / "celery"), "-A", "elvis", "worker", "-Q", queue,
                "--loglevel=INFO", "--hostname", f"faults-{queue}-{os.getpid()}@%h",
            )  # fmt: skip
        deadline = time.monotonic() + 90
        for queue, process in self.workers.items():
            log = self.work / f"worker-{queue}.log"
            while log.read_text(errors="replace").rsplit("--- started", 1)[1].find("ready.") < 0:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {queue} did not start:\n{self.tail(log.name)}")
                time.sleep(0.3)

    def kill_workers(self) -> None:
        """``kill -9`` every worker, its pool with it."""
        for process in self.workers.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def kill_a_web_worker(self) -> int | None:
        """``kill -9`` one gunicorn worker (the master starts another); its pid."""
        pids = children_of(self.web.pid)
        if not pids:
            return None
        with suppress(ProcessLookupError):
            os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz/", timeout=timeout) as response:
                return response.status == 200
        except OSError:
            return False

    def sql(self, query: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """Read the run's database directly (not through the proxy: a fault is not ours)."""
        with psycopg.connect(self.direct_database_url, autocommit=True) as connection:
            return connection.execute(query, params).fetchall()

    def tail(self, log: str, lines: int = 30) -> str:
        path = self.work / log
        text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
        return "\n".join(f"    {line}" for line in text)

    def _sql(self, statement: str) -> None:
        with psycopg.connect(f"{self.pg_server}/postgres", autocommit=True) as connection:
            connection.execute(statement)

    def _spawn(self, log: str, *command: str) -> subprocess.Popen:
        with (self.work / log).open("a") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.exit.callback(lambda: stop_group(process))
        return process


def _host_port(url: str, default: int) -> tuple[str, int]:
    netloc = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = netloc.partition(":")
    return host or "127.0.0.1", int(port or default)
