"""Helpers shared by the webhook tests: a real HTTP receiver, partner accounts, subscriptions.

Fixtures here are shared by assigning them in the test module (``receiver = support.receiver``).
"""

from __future__ import annotations

import socket
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
        # shutdown() waits for the loop to look at its flag, which it does every poll_interval
        # (0.5 s by default): half a second lost at the end of every test with a receiver.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/elvis?source=test"

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


#: The port of the tests' placeholder receiver URLs (docs/partner-guide.md uses it too).
LOCAL_PORT = 8765


def allow_local_receivers(settings, *ports: int) -> None:
    """What a site does to deliver on its own network; the SSRF tests turn it off again.
    The receivers' ports must be allowed as well: private addresses never lift that check."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_PORTS = [LOCAL_PORT, *ports]


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    with Receiver() as running:
        allow_local_receivers(settings, running.port)
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


# --- Name resolution as a test says (for the URL checks) ---------------------------------------

PUBLIC = "93.184.216.34"
DNS = {
    "partner.example": [PUBLIC],
    "loopback.example": ["127.0.0.1"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": [PUBLIC, "10.0.0.7"],
    "v6-loopback.example": ["::1"],
}


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Names resolve as ``DNS`` says (edit it to change answers); others fail to resolve.
    Addresses (IP literals) resolve to themselves, as the system resolver does."""
    answers = {name: list(addresses) for name, addresses in DNS.items()}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            family = {True: socket.AF_INET6, False: socket.AF_INET}
            return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        try:
            return real(host, port, *args, flags=socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def public_only(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOWED_PORTS = []


def subscribe(api_as, institution, url: str):
    return api_as(partner_of(institution)).post(
        "/api/v1/webhooks/", {"url": url, "events": ["loan.approved"]}, format="json"
    )
