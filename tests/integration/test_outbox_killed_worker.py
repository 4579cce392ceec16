"""A worker killed (``kill -9``) after a webhook or an e-mail went out and before it recorded
that: the claim is reclaimed once stale (derived from the task's hard time limit, shrunk to
3 s here, so 4 s), the work is done again exactly once, and every attempt is in the log.

The receiver and the SMTP server are the test's: each holds its first answer until the worker
that sent it has been killed, so the kill lands at the worst moment — the partner has the
event, ELViS does not know. The receiver deduplicates on ``webhook-id`` as docs/webhooks.md
tells partners to: the second POST carries the same id and is accepted once. The sweeps that
beat runs every 30–60 s are sent by the test every half second.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from celery import Celery

from elvis.workflow.service import perform
from notifications.models import Notification
from webhooks.models import Delivery, DeliveryAttempt

from .. import webhooks_support as support
from .workers import database_url, running_worker, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
TIME_LIMIT_SECONDS = 3
STALE = timedelta(seconds=4)  # elvis.claims: the hard time limit and a third
DEADLINE_SECONDS = 60


class HoldFirst:
    """The first arrival waits (up to a minute) until the test has killed its sender."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.released = threading.Event()
        self._first = True
        self._lock = threading.Lock()

    def hold(self) -> None:
        with self._lock:
            first, self._first = self._first, False
        if first:
            self.arrived.set()
            self.released.wait(timeout=DEADLINE_SECONDS)


@contextmanager
def webhook_receiver() -> Iterator[tuple[int, list[str], set[str], HoldFirst]]:
    """(port, every webhook-id received, the ids accepted — once each —, the hold)."""
    received: list[str] = []
    accepted: set[str] = set()
    gate = HoldFirst()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            event_id = self.headers["webhook-id"]
            received.append(event_id)
            accepted.add(event_id)  # handled once: a duplicate changes nothing
            gate.hold()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1], received, accepted, gate
    finally:
        gate.released.set()
        server.shutdown()
        server.server_close()


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[bytes], HoldFirst]]:
    """(port, every message received, the hold): the message is in before its 250 is sent."""
    messages: list[bytes] = []
    gate = HoldFirst()

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:
            messages.append(envelope.content)
            await asyncio.get_running_loop().run_in_executor(None, gate.hold)
            return "250 Message accepted for delivery"

    with socket.socket() as probe:  # a free port (the controller checks it can connect)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, messages, gate
    finally:
        gate.released.set()
        controller.stop()


@contextmanager
def outbox_held() -> Iterator[None]:
    """The test process writes the outbox rows; the workers alone send them."""
    with (
        mock.patch("webhooks.sinks.enqueue_on_commit"),
        mock.patch("notifications.services.enqueue_emails_on_commit"),
    ):
        yield


@pytest.fixture
def broker():
    """A client of the workers' broker (not the current app: the test process stays eager)."""
    client = Celery(broker=os.environ["TEST_REDIS_URL"], set_as_current=False)
    yield client
    client.close()


def env_for(tmp_path: Path, queue: str, **extra: str) -> dict[str, str]:
    return worker_env(
        tmp_path / "var",
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ["TEST_REDIS_URL"],
        CELERY_QUEUE=queue,
        OUTBOX_TASK_TIME_LIMIT=str(TIME_LIMIT_SECONDS),
        OUTBOX_TASK_SOFT_TIME_LIMIT=str(TIME_LIMIT_SECONDS - 1),
        **extra,
    )


def kill(worker) -> None:
    worker.kill()  # SIGKILL: no clean-up, no acknowledgement, no requeue by the worker
    worker.wait()


def sweep_until(broker, queue: str, sweep: str, done, what: str, log: Path) -> None:
    """Send ``sweep`` to the worker every half second (beat's part) until ``done()``."""
    until = time.monotonic() + DEADLINE_SECONDS
    while not done():
        if time.monotonic() > until:
            pytest.fail(f"not {what} after {DEADLINE_SECONDS} s; log:\n{log.read_text()[-5000:]}")
        broker.send_task(sweep, queue=queue)
        time.sleep(0.5)


def test_a_webhook_accepted_before_its_worker_was_killed_is_sent_again_once_with_the_same_id(
    tmp_path, broker, institution_a, make_loan, curator_a
):
    queue = f"it-{uuid.uuid4().hex[:8]}"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with webhook_receiver() as (port, received, accepted, gate):
        url = f"http://127.0.0.1:{port}/hooks"
        support.subscription_for(support.partner_of(institution_a), institution_a, url)
        with outbox_held():
            perform(make_loan(status="submitted"), "approve", actor=curator_a)
        delivery = Delivery.objects.get()
        env = env_for(
            tmp_path, queue,
            WEBHOOK_ALLOW_PRIVATE_ADDRESSES="1", WEBHOOK_ALLOW_HTTP="1",
            WEBHOOK_ALLOWED_PORTS=str(port),
        )  # fmt: skip

        with running_worker(env, None, first_log, name=queue) as first:
            broker.send_task("webhooks.deliver", args=[delivery.pk], queue=queue)
            assert gate.arrived.wait(timeout=DEADLINE_SECONDS), first_log.read_text()
            kill(first)  # the receiver has the event; the worker never heard its 200
        gate.released.set()

        delivery.refresh_from_db()
        assert delivery.status == "sending"
        attempt = delivery.attempt_log.get()
        assert (attempt.number, attempt.state) == (1, DeliveryAttempt.State.SENDING)

        with running_worker(env, None, second_log, name=queue):
            sweep_until(
                broker, queue, "webhooks.sweep",
                lambda: Delivery.objects.get(pk=delivery.pk).status == "delivered",
                "delivered again", second_log,
            )  # fmt: skip

    delivery.refresh_from_db()
    lost, again = delivery.attempt_log.all()
    assert (lost.number, lost.state, lost.status_code) == (1, "lost", None)
    assert (again.number, again.state, again.status_code) == (2, "finished", 200)
    # Reclaimed once stale, not before (a live task's claim is never taken), and soon after.
    waited = again.started_at - lost.started_at
    assert STALE <= waited < STALE + timedelta(seconds=DEADLINE_SECONDS / 2)
    assert received == [str(delivery.event_id)] * 2  # the same id on both POSTs
    assert accepted == {str(delivery.event_id)}  # accepted exactly once


def test_an_e_mail_sent_before_its_worker_was_killed_is_sent_again_at_most_once_and_recorded(
    tmp_path, broker, make_loan, curator_a, researcher
):
    queue = f"it-{uuid.uuid4().hex[:8]}"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with smtp_server() as (port, messages, gate):
        with outbox_held():
            perform(make_loan(status="submitted"), "approve", actor=curator_a)
        note = Notification.objects.get(recipient=researcher)
        env = env_for(tmp_path, queue, EMAIL_URL=f"smtp://127.0.0.1:{port}")

        with running_worker(env, None, first_log, name=queue) as first:
            broker.send_task("notifications.deliver_email", args=[note.pk], queue=queue)
            assert gate.arrived.wait(timeout=DEADLINE_SECONDS), first_log.read_text()
            kill(first)  # the server has the message; the worker never heard its 250
        gate.released.set()

        note.refresh_from_db()
        assert note.email_status == "sending" and note.email_attempts == 1
        claimed_at = note.email_claimed_at

        with running_worker(env, None, second_log, name=queue):
            sweep_until(
                broker, queue, "notifications.sweep_outbox",
                lambda: Notification.objects.get(pk=note.pk).email_status == "sent",
                "sent again", second_log,
            )  # fmt: skip

    note.refresh_from_db()
    assert len(messages) == 2  # re-sent once, never more
    assert note.email_attempts == 2
    assert STALE <= note.email_claimed_at - claimed_at < STALE + timedelta(seconds=30)
    assert note.email_sent_at is not None and note.email_error == ""
