"""Helpers shared by the webhook tests: a real HTTP receiver, partner accounts, subscriptions.

Fixtures here are shared by assigning them in the test module (``receiver = support.receiver``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from collections_app.models import Institution, Membership
from webhooks.models import Delivery, Subscription
from webhooks.tasks import deliver_webhook

from .conftest import PASSWORD


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that records every POST and answers with the
    next of ``statuses`` (then 200). Runs in a thread; the tests talk to it over real TCP."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.extra_headers: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                reply = f"answer {status}".encode()
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/elvis?source=test"

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


def allow_local_receivers(settings) -> None:
    """What a site does to deliver on its own network; the SSRF tests turn it off again."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_ALLOW_HTTP = True


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    allow_local_receivers(settings)
    with Receiver() as running:
        yield running


def partner_of(institution: Institution, name: str = "partner"):
    """An API client account of ``institution`` (a partner system)."""
    user = get_user_model().objects.create_user(
        email=f"{name}-{institution.code.lower()}@example.org",
        password=PASSWORD,
        full_name=f"{name} system",
    )
    Membership.objects.create(user=user, institution=institution, role=Membership.Role.API_CLIENT)
    return user


def subscription_for(owner, institution: Institution, url: str, events: Iterable[str] = ("*",)):
    """A subscription written directly (no URL check): for tests about what happens later."""
    return Subscription.objects.create(
        institution=institution, url=url, events=list(events), created_by=owner
    )


def retry_now(delivery: Delivery) -> str:
    """Make a pending delivery due (as if its backoff had passed) and run the task."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    return deliver_webhook(delivery.pk)
