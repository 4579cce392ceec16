"""docs/partner-guide.md is what ``scripts/check_partner_guide.py`` follows against a live
server (``make guide-check``). Read here, not run: every marked block exists, is well-formed and
comes in an order the check can follow; the receiver verifies what ELViS signs; the options,
events and links the guide names exist."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from accounts.management.commands.issue_api_token import Command as IssueApiToken
from webhooks.events import PING, known_events
from webhooks.signing import generate_secret, standard_signature_header

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "partner-guide.md"
DEV_REQUIREMENTS = ROOT / "requirements-dev.txt"


def _load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_partner_guide", ROOT / "scripts" / "check_partner_guide.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


check = _load_checker()
DIRECTIVES = check.parse_guide(GUIDE.read_text())
SHELL_STEPS = [d for d in DIRECTIVES if d.kind in {"run", "run-on-server"}]


def directive(kind: str, arg: str = ""):
    (found,) = [d for d in DIRECTIVES if d.kind == kind and (not arg or d.arg == arg)]
    return found


def test_the_guide_has_the_structure_the_check_follows():
    check.check_structure(DIRECTIVES)  # raises GuideError naming the line otherwise

    headings = re.findall(r"^## (\d)\. ", GUIDE.read_text(), re.MULTILINE)
    assert headings == ["1", "2", "3", "4", "5", "6"]


def test_the_steps_go_from_a_token_to_a_verified_redelivery_in_order():
    def position(kind: str, arg: str = "", text: str = "", after: int = -1) -> int:
        for index, d in enumerate(DIRECTIVES):
            if index > after and d.kind == kind and arg in d.arg and text in d.body:
                return index
        raise AssertionError(f"no {kind} {arg} {text!r} after directive {after}")

    index = -1
    for kind, arg, text in [
        ("run-on-server", "", "manage.py issue_api_token"),
        ("run", "", '"Authorization: Token $ELVIS_TOKEN"'),
        ("researcher-submits-loan", "", ""),
        ("run", "", "updated_after="),
        ("run", "", "Idempotency-Key: $KEY"),
        ("run", "", "/api/v1/webhooks/"),
        ("run", "", "pip install --quiet standardwebhooks=="),
        ("file", "receiver.py", ""),
        ("run", "", "receiver-venv/bin/python receiver.py"),
        ("run", "", "/ping/"),
        ("await", PING, ""),
        ("researcher-submits-loan", "", ""),
        ("await", "loan.submitted", ""),
        ("run", "", "/deliveries/?event=loan.submitted"),
        ("run", "", "/redeliver/"),
        ("await", "loan.submitted", ""),
    ]:
        index = position(kind, arg, text, after=index)


@pytest.mark.parametrize("step", SHELL_STEPS, ids=[d.arg for d in SHELL_STEPS])
def test_every_shell_step_is_valid_bash(step):
    result = subprocess.run(
        ["bash", "-n"], input=f"set -euo pipefail\n{step.body}", capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


def test_the_token_step_uses_options_the_command_has_for_the_checks_institution():
    body = directive("run-on-server", "issue-token").body.replace("\\\n", " ")
    command_line = re.search(r"manage\.py issue_api_token([^)]*)\)", body)[1]

    options = IssueApiToken().create_parser("manage.py", "issue_api_token")
    parsed = options.parse_args(shlex.split(command_line))

    assert parsed.institution == check.INSTITUTION


def test_the_subscription_asks_for_known_events_including_every_one_awaited():
    body = directive("run", "subscribe").body
    subscribed = set(re.findall(r'\\"([a-z]+\.[a-z_]+)\\"', body))
    awaited = {d.arg for d in DIRECTIVES if d.kind == "await"}

    assert subscribed
    assert subscribed <= set(known_events())
    assert awaited - {PING} <= subscribed


def receiver_namespace(monkeypatch, secret: str) -> dict:
    """The guide's receiver.py, run without its last statement (serving forever)."""
    source = directive("file", "receiver.py").body
    module = ast.parse(source)
    *definitions, serve = module.body
    assert "serve_forever" in ast.unparse(serve)
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    namespace: dict = {"__name__": "receiver"}
    exec(compile(ast.Module(definitions, type_ignores=[]), "receiver.py", "exec"), namespace)
    return namespace


def test_the_receiver_uses_the_standard_library_and_the_pinned_standardwebhooks(monkeypatch):
    module = ast.parse(directive("file", "receiver.py").body)
    imported = {
        name.split(".")[0]
        for node in ast.walk(module)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        )
    }
    pinned = re.search(r"^standardwebhooks==(\S+)$", DEV_REQUIREMENTS.read_text(), re.MULTILINE)

    namespace = receiver_namespace(monkeypatch, generate_secret())

    assert imported - sys.stdlib_module_names == {"standardwebhooks"}
    assert f"standardwebhooks=={pinned[1]}" in directive("run", "install-library").body
    assert namespace["EVENTS_FILE"] == check.EVENTS_FILE
    assert namespace["PORT"] == 8765


@pytest.fixture
def running_receiver(monkeypatch, tmp_path, capsys):
    """The guide's receiver serving on a free port (in tmp_path): (post, secret, printed)."""
    monkeypatch.chdir(tmp_path)
    secret = generate_secret()
    handler = receiver_namespace(monkeypatch, secret)["Receiver"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()

    def post(body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_address[1]}/elvis/hooks", body, headers
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    yield post, secret, lambda: capsys.readouterr().out
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_receiver_accepts_what_elvis_signs_once_and_refuses_anything_else(running_receiver):
    post, secret, printed = running_receiver
    event_id, now = str(uuid.uuid4()), int(time.time())
    body = json.dumps(
        {"id": event_id, "event": "loan.submitted", "sequence": 1, "data": {"reference": "L-1"}}
    ).encode()

    def signed(*secrets: str, at: int = now, signed: bytes = body) -> dict:
        return {
            "webhook-id": event_id,
            "webhook-timestamp": str(at),
            "webhook-signature": standard_signature_header(secrets, event_id, at, signed),
        }

    assert post(body, signed(secret)) == 204
    assert post(body, signed(generate_secret(), secret)) == 204  # right after a rotation
    assert post(body, signed(generate_secret())) == 401
    assert post(body, signed(secret, signed=body + b" ")) == 401
    assert post(body, {**signed(secret), "webhook-id": str(uuid.uuid4())}) == 401
    assert post(body, signed(secret, at=now - 301)) == 401
    assert post(body, {}) == 401
    lines = printed().splitlines()
    assert lines[0].strip() == f"verified loan.submitted L-1 sequence 1 id {event_id}"
    assert lines[1].endswith("(duplicate: already handled)")
    assert len(lines) == 2
    assert len(Path(check.EVENTS_FILE).read_text().splitlines()) == 2


def test_the_guide_links_the_webhook_reference_and_the_api_docs():
    text = GUIDE.read_text()
    headings = re.findall(r"^#+ (.+)$", (ROOT / "docs" / "webhooks.md").read_text(), re.MULTILINE)
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}

    linked = re.findall(r"\]\(webhooks\.md#([^)]+)\)", text)

    assert "](webhooks.md)" in text
    assert "/api/v1/docs/" in text
    assert linked
    assert set(linked) <= anchors


@pytest.mark.parametrize(
    ("guide", "line", "problem"),
    [
        ("<!-- guide-check: run x -->\nno block here\n", 3, "is not followed by a ``` block"),
        ("<!-- guide-check: run x -->\n```sh\necho\n", 4, "the ``` block is never closed"),
        ("<!-- guide-check: run x -->\n```python\npass\n```\n", 4, "must be ```sh"),
        ("<!-- guide-check: output -->\n```sh\nx\n```\n", 4, "must be ```text"),
        ("<!-- guide-check: frobnicate -->\n", 3, "unknown guide-check directive"),
        ("<!-- guide-check: run -->\n```sh\necho\n```\n", 3, "write <!-- guide-check: run NAME"),
        ("<!-- guide-check run x -->\n", 3, "not a guide-check marker"),
        ("<!-- guide-check: await submitted -->\n", 3, "is not an event name"),
        ("<!-- guide-check: file ../x.py -->\n```python\n```\n", 3, "not a plain file name"),
    ],
    ids=[
        "no block",
        "unclosed",
        "run in python",
        "output in sh",
        "unknown kind",
        "run without name",
        "no colon",
        "bad event",
        "path as file name",
    ],
)
def test_a_malformed_marker_is_reported_with_its_line(guide, line, problem):
    with pytest.raises(check.GuideError, match=re.escape(problem)) as error:
        check.parse_guide(f"# Guide\n\n{guide}")

    assert str(error.value).startswith(f"line {line}:")


ENV = "<!-- guide-check: env -->\n```sh\n" + "".join(f"export {n}=x\n" for n in check.PROVIDED)
ENV += "```\n"
RECEIVER = f"<!-- guide-check: file r.py -->\n```python\nFILE = '{check.EVENTS_FILE}'\n```\n"


@pytest.mark.parametrize(
    ("guide", "problem"),
    [
        ("<!-- guide-check: run a -->\n```sh\ntrue\n```\n" + ENV, "must start with exactly one"),
        (ENV + ENV, "must start with exactly one"),
        (ENV.replace("export ELVIS_URL=x\n", ""), "must export exactly ELVIS_URL"),
        (ENV + "<!-- guide-check: output -->\n```text\nx\n```\n", "must follow a run block"),
        (ENV + "<!-- guide-check: await loan.submitted -->\n" + RECEIVER, "await needs"),
        (ENV + RECEIVER + RECEIVER, "'r.py' is used twice"),
    ],
    ids=["env not first", "two envs", "env lacks a name", "stray output", "await early", "twice"],
)
def test_a_guide_the_check_could_not_follow_is_refused_before_anything_starts(guide, problem):
    with pytest.raises(check.GuideError, match=re.escape(problem)):
        check.check_structure(check.parse_guide(guide))


@pytest.mark.parametrize(
    ("expected", "printed", "matches"),
    [
        ("LOAN-… under_review", "LOAN-2026-000001 under_review\n", True),
        (
            "HTTP/1.1 200 OK\nIdempotent-Replayed: true",
            "HTTP/1.1 200 OK\r\nX: y\r\nIdempotent-Replayed: true\r\n",
            True,
        ),
        ("b\na", "a\nb\n", False),  # in order
        ("LOAN-… approved", "LOAN-2026-000001 under_review\n", False),
        ("409", "4090\n", False),  # whole lines
    ],
    ids=["wildcard", "headers with CRs", "order", "other text", "whole lines"],
)
def test_an_output_block_matches_the_lines_a_step_prints_in_order(expected, printed, matches):
    assert (check.output_mismatch(expected, printed) is None) is matches
