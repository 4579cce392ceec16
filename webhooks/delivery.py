"""One POST of a delivery: signed (Standard Webhooks, and ELViS's deprecated scheme), to a
checked address, and what came of it.

urllib3 is used directly (not requests) because the connection must go to the address that the
SSRF check approved while TLS still names and verifies the URL's host: a pool per attempt,
opened on that IP with ``server_hostname``/``assert_hostname`` set to the host. Redirects are
not followed (a redirect could lead anywhere, past the check); proxies from the environment are
not used.

An attempt holds a webhook worker's slot for at most ``WEBHOOK_TIMEOUT`` seconds in all:
connecting (at most ``WEBHOOK_CONNECT_TIMEOUT``), sending and reading the answer. Socket
timeouts alone bound only each wait, so a receiver trickling a byte now and then could hold the
slot for ever; a watchdog thread shuts the connection's socket down when the budget is spent,
which ends whatever read or write is blocked on it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from http.client import HTTPException
from types import TracebackType

import urllib3
from django.conf import settings
from django.utils.http import parse_http_date_safe
from django.utils.translation import gettext as _
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, HTTPError

from .models import Delivery
from .signing import signature_header, standard_signature_header
from .ssrf import RefusedURL, Target, resolve

USER_AGENT = "ELViS-Webhooks/1"
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: an HTTP status, or an error (``refused``: not even sent)."""

    duration_ms: int = 0
    status_code: int | None = None
    error: str = ""
    response_excerpt: str = ""
    retry_after: int | None = None
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Network errors, 5xx and 429 may pass later; a refusal, 3xx or other 4xx will not."""
        if self.refused:
            return False
        if self.status_code is None:
            return True
        return self.status_code >= 500 or self.status_code == 429


def headers(delivery: Delivery, body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers of one attempt: Standard Webhooks' (``webhook-id`` is the event id, the same
    on every attempt and redelivery, for receivers to deduplicate on) and, until the end of
    their deprecation window (docs/webhooks.md), ELViS's own."""
    timestamp = int(now if now is not None else time.time())
    secrets_ = delivery.subscription.signing_secrets()
    event_id = str(delivery.event_id)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature_header(secrets_, event_id, timestamp, body),
        "ELViS-Event": delivery.event,
        "ELViS-Delivery": event_id,
        "ELViS-Timestamp": str(timestamp),
        "ELViS-Signature": signature_header(secrets_, timestamp, body),
    }


def post(delivery: Delivery) -> Outcome:
    """POST the delivery's envelope to its subscription's URL, checked again right now, within
    the attempt's time budget."""
    started = time.monotonic()
    try:
        target = resolve(delivery.subscription.url)
    except RefusedURL as exc:
        return Outcome(error=exc.message, refused=exc.permanent, duration_ms=_since(started))
    body = delivery.body.encode()
    request_headers = {**headers(delivery, body), "Host": target.host_header}
    budget = Budget(settings.WEBHOOK_TIMEOUT, started)
    error = ""
    for address in target.addresses:
        if budget.remaining() <= 0:
            break
        connection = _connection(target, address, budget)
        try:
            with Watchdog(connection, budget) as watchdog:
                try:
                    connection.connect()
                except ConnectTimeoutError as exc:  # also refused: try the next address
                    error = _describe(exc)
                    continue
                # From here each wait may last what is left of the budget, and no longer.
                connection.timeout = max(budget.remaining(), 0.001)
                connection.request(
                    "POST", target.path, body=body, headers=request_headers, preload_content=False
                )
                # A status line in time is an answer, even if the watchdog cuts its body short.
                return _outcome(connection.getresponse(), started)
        except (HTTPError, HTTPException, OSError) as exc:  # HTTPException: a garbled answer
            if watchdog.fired:  # cut by the budget before the status line came
                return budget.spent(started)
            return Outcome(error=_describe(exc), duration_ms=_since(started))
        finally:
            connection.close()
    if not error:
        return budget.spent(started)
    return Outcome(error=error, duration_ms=_since(started))


class Budget:
    """An attempt's total time: ``seconds`` from ``started`` (a ``time.monotonic()``)."""

    def __init__(self, seconds: float, started: float) -> None:
        self.seconds = seconds
        self.deadline = started + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def spent(self, started: float) -> Outcome:
        """The outcome of an attempt cut at its budget: retried, like any timeout."""
        return Outcome(
            error=_("No complete answer within %(seconds)s seconds.")
            % {"seconds": f"{self.seconds:g}"},
            duration_ms=_since(started),
        )


class Watchdog:
    """Shuts ``connection``'s socket down when ``budget`` is spent, until the ``with`` ends.

    A socket shut down wakes the thread blocked on it (its read returns no data, or fails), so
    that neither a slow TLS handshake, nor a receiver sending its headers a byte at a time,
    holds the attempt past its budget. It keeps shutting down whatever socket the connection
    holds until the attempt ends, covering a socket made just as the budget ran out."""

    def __init__(self, connection: HTTPConnection, budget: Budget) -> None:
        self.connection = connection
        self.budget = budget
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="webhook-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(max(self.budget.remaining(), 0)):
            return
        self.fired = True
        while True:
            sock = self.connection.sock
            if sock is not None:
                # The plain socket's shutdown, also for TLS (no TLS state is touched); one
                # already closed or not yet connected refuses it.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            if self._done.wait(0.05):
                return


def _connection(target: Target, address: str, budget: Budget) -> HTTPConnection:
    """A connection to ``address`` (the checked IP) that names and verifies the URL's host."""
    timeout = min(settings.WEBHOOK_CONNECT_TIMEOUT, max(budget.remaining(), 0.001))
    if target.scheme == "https":
        return HTTPSConnection(
            address,
            target.port,
            timeout=timeout,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return HTTPConnection(address, target.port, timeout=timeout)


def _outcome(response: urllib3.BaseHTTPResponse, started: float) -> Outcome:
    try:
        excerpt = response.read(EXCERPT_BYTES, decode_content=False)
    except (HTTPError, OSError):
        excerpt = b""  # the status line came; a body cut short does not change it
    return Outcome(
        status_code=response.status,
        response_excerpt=_text(excerpt.decode("utf-8", errors="replace")),
        retry_after=_retry_after(response.headers.get("Retry-After")),
        duration_ms=_since(started),
    )


def _retry_after(value: str | None) -> int | None:
    """Seconds from ``Retry-After`` (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    moment = parse_http_date_safe(value)
    return max(0, int(moment - time.time())) if moment else None


def _describe(exc: BaseException) -> str:
    return _text(f"{type(exc).__name__}: {exc}")[:2000]


def _text(value: str) -> str:
    """Text a database can store (PostgreSQL refuses NUL characters)."""
    return value.replace("\x00", "\ufffd")


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
