"""Follow docs/partner-guide.md literally against a live ELViS; fail if the guide is wrong.

The guide marks what a reader does with a visible line before a fenced block:

    <!-- guide-check: env -->                 the variables the reader sets for their own site
                                              (the check gives each name its own value)
    <!-- guide-check: run NAME -->            a shell block run on the partner's machine
    <!-- guide-check: run-on-server NAME -->  a shell block run in the ELViS folder, with the
                                              server's settings and virtualenv
    <!-- guide-check: file NAME -->           a block the reader saves as the file NAME
    <!-- guide-check: output -->              what the previous block prints: each line must
                                              appear, in order; … stands for anything

and marks what happens in ELViS meanwhile, which the check makes happen or waits for:

    <!-- guide-check: researcher-submits-loan -->  the demo researcher submits a loan request
                                                   to the guide's institution (via the API)
    <!-- guide-check: await EVENT -->               the guide's receiver records a verified
                                                   delivery of EVENT within --timeout seconds

The directives run in order. Shell blocks run verbatim through ``bash`` with
``set -euo pipefail``, one terminal session: what a block exports is set for the next ones. The
server is real: a throwaway PostgreSQL database with the demo data, gunicorn with production
settings (DEBUG off) and a real Celery worker on the embedded filesystem broker, so deliveries
go out as in production. At the end each event must have reached the receiver as one event
(redeliveries repeat its id), and the guide's receiver must refuse forged deliveries. Processes,
database and files are removed on exit, also on failure or Ctrl-C.

Exit status: 0 the guide works; 1 it does not (the message says where); 2 the guide is malformed.
Usage, with the project's virtualenv (``make guide-check``; PostgreSQL server from GUIDE_PG,
default postgres://postgres@127.0.0.1:5432; its throwaway database is named GUIDE_DB_PREFIX
(default elvis_guide) and the process id; the site listens on GUIDE_PORT, default a free one):

    .venv/bin/python scripts/check_partner_guide.py [--guide PATH] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "partner-guide.md"

#: The site-specific variables of the guide's ``env`` block, which the check fills in.
PROVIDED = ("ELVIS_URL", "RECEIVER_PORT", "WEBHOOK_URL")
#: Where the guide's receiver appends each verified envelope, one JSON document a line.
EVENTS_FILE = "received-events.jsonl"
#: The guide's institution and the demo researcher who asks it for a loan (``seed_demo``).
INSTITUTION = "NHM"
RESEARCHER = "researcher@demo.example.org"
DEMO_PASSWORD = "elvis-demo-2026"

BLOCK_KINDS = {"env": "sh", "run": "sh", "run-on-server": "sh", "file": None, "output": "text"}
EVENT_KINDS = {"researcher-submits-loan", "await"}
NEEDS_ARG = {"run", "run-on-server", "file", "await"}
SHELL_LANGUAGES = {"sh", "bash", "shell"}
MARKER = re.compile(r"<!--\s*guide-check:\s*(?P<words>.*?)\s*-->")
FENCE = re.compile(r"(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)")
EVENT_NAME = re.compile(r"[a-z]+\.[a-z_]+")
FILE_NAME = re.compile(r"[\w.-]+")
EXPORT = re.compile(r"^\s*export\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)=", re.MULTILINE)
# Variables bash sets itself: not something a step exported.
SHELL_OWN = {"_", "SHLVL", "PWD", "OLDPWD"}
#: A step's output is shown in the log up to this many lines (all of it is matched).
MAX_SHOWN_LINES = 25


class GuideError(Exception):
    """The guide is malformed: a marker without its block, an unknown directive, …"""


class CheckFailed(Exception):
    """The guide, followed literally, did not work."""


@dataclass(frozen=True)
class Directive:
    kind: str
    arg: str
    line: int
    language: str = ""
    body: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.arg}".strip() + f" (line {self.line})"


# --- Reading the guide ------------------------------------------------------------------------


def parse_guide(text: str) -> list[Directive]:
    """The guide's directives in order; raises GuideError naming the line of a malformed one."""
    lines = text.splitlines()
    directives: list[Directive] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.fullmatch(line.strip())
        if fence:  # an unmarked block: markers shown inside it are examples, not directives
            index = _block_end(lines, index, fence["fence"]) + 1
            continue
        marker = MARKER.fullmatch(line.strip())
        if marker is None:
            if line.lstrip().startswith("<!--") and "guide-check" in line:
                raise GuideError(f"line {index + 1}: not a guide-check marker: {line.strip()}")
            index += 1
            continue
        kind, arg = _marker_words(marker["words"], index + 1)
        if kind in EVENT_KINDS:
            directives.append(Directive(kind, arg, index + 1))
            index += 1
            continue
        index, directive = _marked_block(lines, index, kind, arg)
        directives.append(directive)
    return directives


def _marker_words(words: str, line: int) -> tuple[str, str]:
    kind, _, arg = words.partition(" ")
    arg = arg.strip()
    if kind not in BLOCK_KINDS and kind not in EVENT_KINDS:
        raise GuideError(f"line {line}: unknown guide-check directive {kind!r}")
    if (kind in NEEDS_ARG) != bool(arg) or " " in arg:
        usage = f"{kind} NAME" if kind in NEEDS_ARG else kind
        raise GuideError(f"line {line}: write <!-- guide-check: {usage} -->")
    if kind == "await" and not EVENT_NAME.fullmatch(arg):
        raise GuideError(f"line {line}: {arg!r} is not an event name like loan.submitted")
    if kind == "file" and not FILE_NAME.fullmatch(arg):
        raise GuideError(f"line {line}: {arg!r} is not a plain file name")
    return kind, arg


def _marked_block(lines: list[str], index: int, kind: str, arg: str) -> tuple[int, Directive]:
    """The fenced block right after the marker at ``index`` (blank lines may come between)."""
    start = index + 1
    while start < len(lines) and not lines[start].strip():
        start += 1
    fence = FENCE.fullmatch(lines[start].strip()) if start < len(lines) else None
    if fence is None:
        raise GuideError(f"line {index + 1}: guide-check {kind} is not followed by a ``` block")
    language = fence["info"].split()[0] if fence["info"].strip() else ""
    wanted = BLOCK_KINDS[kind]
    if wanted == "sh" and language not in SHELL_LANGUAGES:
        raise GuideError(f"line {start + 1}: a {kind} block must be ```sh, not {language!r}")
    if wanted == "text" and language != "text":
        raise GuideError(f"line {start + 1}: an output block must be ```text")
    end = _block_end(lines, start, fence["fence"])
    body = "\n".join(lines[start + 1 : end]) + "\n"
    return end + 1, Directive(kind, arg, index + 1, language, body)


def _block_end(lines: list[str], start: int, fence: str) -> int:
    for index in range(start + 1, len(lines)):
        closing = lines[index].strip()
        if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
            return index
    raise GuideError(f"line {start + 1}: the ``` block is never closed")


def check_structure(directives: list[Directive]) -> None:
    """What following the guide needs, checked before anything is started."""
    envs = [d for d in directives if d.kind == "env"]
    if len(envs) != 1 or directives[0] is not envs[0]:
        raise GuideError("the guide must start with exactly one guide-check: env block")
    exported = EXPORT.findall(envs[0].body)
    if sorted(exported) != sorted(PROVIDED):
        raise GuideError(
            f"line {envs[0].line}: the env block must export exactly {', '.join(PROVIDED)} "
            f"(the check fills them in); it exports {', '.join(exported) or 'nothing'}"
        )
    seen: set[str] = set()
    previous: Directive | None = None
    receiver_written = False
    for directive in directives:
        if directive.kind in {"run", "run-on-server", "file"}:
            if directive.arg in seen:
                raise GuideError(f"line {directive.line}: {directive.arg!r} is used twice")
            seen.add(directive.arg)
        if directive.kind == "file" and EVENTS_FILE in directive.body:
            receiver_written = True
        if directive.kind == "output" and (
            previous is None or previous.kind not in {"run", "run-on-server"}
        ):
            raise GuideError(f"line {directive.line}: an output block must follow a run block")
        if directive.kind == "await" and not receiver_written:
            raise GuideError(
                f"line {directive.line}: await needs, before it, a receiver file that records "
                f"what it verified in {EVENTS_FILE}"
            )
        previous = directive


# --- Matching what a block printed ------------------------------------------------------------


def output_mismatch(expected: str, actual: str) -> str | None:
    """None if every non-blank expected line matches a line of ``actual``, in order (``…``:
    anything; trailing spaces and CRs ignored); else the first expected line not found."""
    lines = [line.rstrip() for line in actual.splitlines()]
    position = 0
    for wanted in expected.splitlines():
        if not wanted.strip():
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in wanted.rstrip().split("…")))
        for index in range(position, len(lines)):
            if pattern.fullmatch(lines[index]):
                position = index + 1
                break
        else:
            return wanted
    return None


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, and whatever it left running there: the
    leader first (gunicorn and celery stop their own children), then the rest of the group."""
    if process.poll() is None:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break  # nothing left in the group
        time.sleep(0.5)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name} does not exist)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in text) or f"({path.name} is empty)"


class Server:
    """PostgreSQL database, demo data, gunicorn and a Celery worker, all removed on close."""

    def __init__(self, stack: ExitStack, work: Path, pg: str) -> None:
        self.stack, self.work, self.pg = stack, work, pg
        self.bin = Path(sys.executable).parent
        # GUIDE_PORT and GUIDE_DB_PREFIX: fixed ones where a shared machine hands them out.
        self.port = int(os.environ.get("GUIDE_PORT") or free_port())
        self.url = f"http://127.0.0.1:{self.port}"
        # Where the guide's receiver will listen: the site must allow that port for webhooks.
        self.receiver_port = free_port()
        self.database = f"{os.environ.get('GUIDE_DB_PREFIX', 'elvis_guide')}_{os.getpid()}"
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        inherited = {
            name: value
            for name, value in os.environ.items()
            if name not in {"CELERY_TASK_ALWAYS_EAGER", "REDIS_URL", "DATABASE_URL"}
        }
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "elvis.settings",  # the product's, not the tests'
            "DEBUG": "0",
            "SECRET_KEY": f"guide-check-only-{time.time_ns()}-not-a-secret-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": self.url,
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "DATABASE_URL": f"{self.pg}/{self.database}",
            "ELVIS_DATA_DIR": str(self.work / "data"),
            "STATIC_ROOT": str(self.work / "static"),
            # The guide's receiver listens on http://127.0.0.1 (see its "trying it locally").
            "WEBHOOK_ALLOW_HTTP": "1",
            "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
            "WEBHOOK_ALLOWED_PORTS": str(self.receiver_port),
            "PYTHONUNBUFFERED": "1",
            "VIRTUAL_ENV": str(self.bin.parent),
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def start(self) -> None:
        self._sql(f'CREATE DATABASE "{self.database}"')
        self.stack.callback(self._sql, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        say(f"database {self.database}: migrate, collectstatic, seed_demo --specimens 200")
        for command in (
            ["migrate", "--noinput", "-v0"],
            ["collectstatic", "--noinput", "-v0"],
            ["seed_demo", "--specimens", "200"],
        ):
            self._manage(command)
        self.web = self._spawn(
            "server.log",
            str(self.bin / "gunicorn"), "elvis.wsgi:application", "-b", f"127.0.0.1:{self.port}",
            "-w", "2", "--log-level", "warning", "--access-logfile", "-",
        )  # fmt: skip
        self.worker = self._spawn(
            "worker.log",
            str(self.bin / "celery"), "-A", "elvis", "worker", "--concurrency=2",
            "--loglevel=INFO", "--hostname", f"guide-check-{os.getpid()}@%h",
        )  # fmt: skip
        self._wait_until("the web server answers /healthz/", self._healthy, self.web, "server.log")
        self._wait_until(
            "the Celery worker is ready",
            lambda: "ready." in (self.work / "worker.log").read_text(errors="replace"),
            self.worker,
            "worker.log",
        )
        say(f"ELViS at {self.url} (gunicorn pid {self.web.pid}, worker pid {self.worker.pid})")

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.pg}/postgres", autocommit=True) as connection:
            connection.execute(statement)

    def _manage(self, command: list[str]) -> None:
        result = subprocess.run(
            [str(self.bin / "python"), "manage.py", *command],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise CheckFailed(
                f"manage.py {' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
            )

    def _spawn(self, log: str, *command: str) -> subprocess.Popen:
        with (self.work / log).open("w") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.stack.callback(stop_group, process)
        return process

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz/", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def _wait_until(self, what: str, done: Any, process: subprocess.Popen, log: str) -> None:
        deadline = time.monotonic() + 60
        while not done():
            if process.poll() is not None:
                raise CheckFailed(f"waiting until {what}: it exited\n{tail(self.work / log)}")
            if time.monotonic() > deadline:
                raise CheckFailed(f"waiting until {what}: 60 s passed\n{tail(self.work / log)}")
            time.sleep(0.2)


# --- Following the guide ---------------------------------------------------------------------


@dataclass
class Follower:
    """Runs the directives as a reader would, in one terminal session."""

    server: Server
    stack: ExitStack
    timeout: float
    partner: Path = field(init=False)
    provided: dict[str, str] = field(init=False)
    exported: dict[str, str] = field(default_factory=dict)
    awaited: Counter = field(default_factory=Counter)
    submitted: list[str] = field(default_factory=list)
    researcher_token: str = ""
    last_output: str = ""

    def __post_init__(self) -> None:
        self.partner = self.server.work / "partner"
        self.partner.mkdir()
        receiver_port = self.server.receiver_port
        self.provided = {
            "ELVIS_URL": self.server.url,
            "RECEIVER_PORT": str(receiver_port),
            "WEBHOOK_URL": f"http://127.0.0.1:{receiver_port}/elvis/hooks",
        }

    def follow(self, directives: list[Directive]) -> None:
        for directive in directives:
            say(f"— {directive.label}")
            handler = getattr(self, "do_" + directive.kind.replace("-", "_"))
            handler(directive)

    # Directives

    def do_env(self, directive: Directive) -> None:
        say("  " + "  ".join(f"{name}={value}" for name, value in self.provided.items()))

    def do_run(self, directive: Directive) -> None:
        self._shell(directive, self._partner_env(), self.partner)

    def do_run_on_server(self, directive: Directive) -> None:
        self._shell(directive, {**self.server.env, **self.provided, **self.exported}, ROOT)

    def do_file(self, directive: Directive) -> None:
        (self.partner / directive.arg).write_text(directive.body)

    def do_output(self, directive: Directive) -> None:
        missing = output_mismatch(directive.body, self.last_output)
        if missing is not None:
            raise CheckFailed(
                f"{directive.label}: the guide says the step prints\n    {missing}\n"
                f"but it printed:\n{indent(self.last_output)}"
            )
        say("  as the guide shows")

    def do_researcher_submits_loan(self, directive: Directive) -> None:
        reference = self.submit_loan()
        self.submitted.append(reference)
        say(f"  {RESEARCHER} submitted {reference} to {INSTITUTION}")

    def do_await(self, directive: Directive) -> None:
        event = directive.arg
        deadline = time.monotonic() + self.timeout
        while True:
            received = [e for e in self.received() if e.get("event") == event]
            if len(received) > self.awaited[event]:
                envelope = received[self.awaited[event]]
                self.awaited[event] += 1
                break
            if time.monotonic() > deadline:
                raise CheckFailed(
                    f"{directive.label}: no verified {event} delivery reached the receiver "
                    f"within {self.timeout:.0f} s.\n{self.diagnostics()}"
                )
            time.sleep(0.5)
        reference = envelope.get("data", {}).get("reference")
        if event == "loan.submitted" and self.submitted and reference != self.submitted[-1]:
            raise CheckFailed(
                f"{directive.label}: the delivery is about {reference}, not about "
                f"{self.submitted[-1]}, the loan the researcher submitted last"
            )
        about = f" about {reference}" if reference else ""
        say(f"  the receiver verified {event}{about} (event id {envelope.get('id')})")

    # Shell steps

    def _partner_env(self) -> dict[str, str]:
        """The reader's own machine: no server settings, no ELViS virtualenv."""
        venv = str(self.server.bin)
        path = os.pathsep.join(
            part for part in os.environ.get("PATH", "").split(os.pathsep) if part != venv
        )
        outside = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        return {**outside, "PATH": path, **self.provided, **self.exported}

    def _shell(self, directive: Directive, env: dict[str, str], cwd: Path) -> None:
        """Run the block verbatim; remember what it exported and what it printed."""
        name = directive.arg
        dump, out, err = (self.server.work / f"step-{name}.{ext}" for ext in ("env", "out", "err"))
        script = f"set -euo pipefail\n{directive.body}\nenv -0 > {shlex.quote(str(dump))}\n"
        # Files, not pipes: a server the step starts in the background keeps its output open.
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                ["bash", "-c", script],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        # Kept until the end: the group holds what the step left running (the receiver).
        self.stack.callback(stop_group, process)
        try:
            status = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            raise CheckFailed(f"{directive.label}: still running after 120 s") from None
        self.last_output = out.read_text(errors="replace")
        errors = err.read_text(errors="replace")
        if self.last_output.strip():
            say(indent(self.last_output, MAX_SHOWN_LINES))
        if status != 0:
            raise CheckFailed(
                f"{directive.label} failed with exit status {status}.\nIt printed:\n"
                f"{indent(self.last_output)}\nand on stderr:\n{indent(errors)}"
            )
        if not dump.exists():  # the block ended with exit: a closed terminal exports nothing
            return
        after = dict(item.split("=", 1) for item in dump.read_text().split("\0") if "=" in item)
        self.exported.update(
            {k: v for k, v in after.items() if k not in SHELL_OWN and env.get(k) != v}
        )

    # What happens in ELViS meanwhile

    def api(self, method: str, path: str, token: str = "", body: Any = None) -> Any:
        request = urllib.request.Request(
            self.server.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"}
            | ({"Authorization": f"Token {token}"} if token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:2000]
            raise CheckFailed(f"{method} {path} answered {exc.code}: {detail}") from None
        except OSError as exc:
            raise CheckFailed(f"{method} {path}: ELViS is not answering ({exc})") from None

    def submit_loan(self) -> str:
        """A loan request of the demo researcher to the guide's institution, submitted."""
        if not self.researcher_token:
            login = {"email": RESEARCHER, "password": DEMO_PASSWORD}
            self.researcher_token = self.api("POST", "/api/v1/auth/token/", body=login)["token"]
        token = self.researcher_token
        code = quote(INSTITUTION)
        institution = self.api("GET", f"/api/v1/institutions/?code={code}")["results"][0]
        collections = self.api(
            "GET", f"/api/v1/collections/?institution={code}&accepts_loans=true"
        )["results"]
        for collection in collections:
            query = urlencode({"collection": collection["id"], "is_available": "true"})
            specimens = self.api("GET", f"/api/v1/specimens/?{query}&page_size=1")["results"]
            if specimens:
                break
        else:
            raise CheckFailed(f"the demo data has no specimen {INSTITUTION} would lend")
        today = dt.date.today()
        loan = self.api(
            "POST",
            "/api/v1/loan-requests/",
            token,
            {
                "institution": institution["id"],
                "collections": [collection["id"]],
                "title": f"Guide check {len(self.submitted) + 1}",
                "purpose": "Morphological revision (submitted by scripts/check_partner_guide.py).",
                "requested_start": str(today + dt.timedelta(days=30)),
                "requested_end": str(today + dt.timedelta(days=120)),
                "borrower_institution": "University of Oxford",
                "shipping_address": "Parks Road, Oxford OX1 3PW, United Kingdom",
                "items": [{"specimen": specimens[0]["id"]}],
            },
        )
        self.api("POST", f"/api/v1/loan-requests/{loan['id']}/submit/", token, {})
        return loan["reference"]

    def received(self) -> list[dict[str, Any]]:
        path = self.partner / EVENTS_FILE
        if not path.exists():
            return []
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        envelopes = []
        for number, line in enumerate(lines, 1):
            try:
                envelopes.append(json.loads(line))
            except json.JSONDecodeError:
                if number < len(lines):  # the last line may be half-written right now
                    raise CheckFailed(f"{EVENTS_FILE} line {number} is not JSON: {line}") from None
        return envelopes

    def diagnostics(self) -> str:
        """What a person needs to see why a delivery did not arrive."""
        parts = [f"Receiver log (partner folder):\n{tail(self.partner / 'receiver.log')}"]
        token, webhook = self.exported.get("ELVIS_TOKEN"), self.exported.get("WEBHOOK_ID")
        if token and webhook:
            try:
                log = self.api("GET", f"/api/v1/webhooks/{webhook}/deliveries/", token)
                rows = [
                    f"    {d['event']} {d['status']} attempts={d['attempts']} "
                    f"last={d['last_status_code']} {d['last_error']}"
                    for d in log["results"]
                ]
                parts.append("ELViS delivery log:\n" + ("\n".join(rows) or "    (empty)"))
            except CheckFailed as exc:
                parts.append(f"ELViS delivery log: {exc}")
        parts.append(f"Worker log:\n{tail(self.server.work / 'worker.log')}")
        return "\n".join(parts)

    # The check's own last words: each event came as one event, and the receiver refuses what
    # ELViS did not sign just now

    def check_each_event_delivered_as_one(self) -> None:
        """Retries and redeliveries repeat an event's id; two ids for one happening would mean
        the partner is told twice (e.g. a sink listed twice)."""
        ids: dict[tuple[str, Any], set[str]] = {}
        for envelope in self.received():
            data = envelope.get("data") or {}
            what = (envelope.get("event"), data.get("reference") or data.get("id"))
            ids.setdefault(what, set()).add(envelope.get("id"))
        twice = {what: sorted(found) for what, found in ids.items() if len(found) > 1}
        if twice:
            raise CheckFailed(f"events delivered under several ids: {twice}")

    def check_forgeries_refused(self) -> None:
        secret = self.exported.get("WEBHOOK_SECRET")
        if not secret:
            raise CheckFailed("the guide never exported WEBHOOK_SECRET for its receiver")
        body = json.dumps({"id": "forged", "event": "loan.approved", "sequence": 99, "data": {}})
        now = int(time.time())
        another_secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        forgeries = {
            "no signature": {},
            "signed with another secret": sign(another_secret, "forged", now, body),
            "signed 10 minutes ago": sign(secret, "forged", now - 600, body),
            "signature of another body": sign(secret, "forged", now, body + " "),
            "signature of another webhook-id": {
                **sign(secret, "another", now, body),
                "webhook-id": "forged",
            },
            "signed only with the deprecated ELViS-Signature": sign_deprecated(secret, now, body),
        }
        before = len(self.received())
        for what, headers in forgeries.items():
            status = post_to_receiver(self.provided["RECEIVER_PORT"], body, headers)
            if status != 401:
                raise CheckFailed(f"the guide's receiver answered {status} to a delivery {what}")
        if len(self.received()) != before:
            raise CheckFailed("the guide's receiver recorded a forged delivery")
        say(f"  the receiver refused {len(forgeries)} forged deliveries with 401")


def sign(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """Standard Webhooks headers as ELViS signs them (docs/webhooks.md), computed here
    independently: the key is the base64 after ``whsec_``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message = f"{message_id}.{timestamp}.{body}".encode()
    digest = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{digest}",
    }


def sign_deprecated(secret: str, timestamp: int, body: str) -> dict[str, str]:
    """ELViS's deprecated headers, which the guide's receiver must not rely on."""
    message = f"{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {"ELViS-Timestamp": str(timestamp), "ELViS-Signature": f"v1={digest}"}


def post_to_receiver(port: str, body: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/elvis/hooks",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError as exc:
        raise CheckFailed(f"the guide's receiver is not answering on port {port} ({exc})") from None


def indent(text: str, most: int | None = None) -> str:
    lines = text.rstrip().splitlines()
    shown = [f"    {line}" for line in lines[:most]]
    if most is not None and len(lines) > most:
        shown.append(f"    (… {len(lines) - most} more lines)")
    return "\n".join(shown) or "    (nothing)"


def say(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guide", type=Path, default=GUIDE)
    parser.add_argument(
        "--timeout", type=float, default=60, help="seconds to wait for each delivery (60)"
    )
    args = parser.parse_args(argv)
    try:
        directives = parse_guide(args.guide.read_text())
        check_structure(directives)
    except (GuideError, OSError) as exc:
        print(f"GUIDE CHECK FAILED: {args.guide}: {exc}", file=sys.stderr)
        return 2
    # SIGTERM (CI cancelling) unwinds like Ctrl-C, so that everything is cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pg = os.environ.get("GUIDE_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    stack = ExitStack()
    try:
        work = Path(tempfile.mkdtemp(prefix="elvis-guide-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        server = Server(stack, work, pg)
        server.start()
        follower = Follower(server, stack, args.timeout)
        follower.follow(directives)
        follower.check_each_event_delivered_as_one()
        follower.check_forgeries_refused()
    except CheckFailed as exc:
        print(f"\nGUIDE CHECK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C or SIGTERM must not cut the cleanup short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.close()
    say(f"\nOK: {args.guide} works, followed step by step against a live server.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
