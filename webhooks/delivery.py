"""One POST of a delivery: signed (Standard Webhooks, and ELViS's deprecated scheme), to a
checked address, and what came of it.

urllib3 is used directly (not requests) because the connection must go to the address that the
SSRF check approved while TLS still names and verifies the URL's host: a pool per attempt,
opened on that IP with ``server_hostname``/``assert_hostname`` set to the host. Redirects are
not followed (a redirect could lead anywhere, past the check); proxies from the environment are
not used.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from django.utils.http import parse_http_date_safe
from urllib3.exceptions import ConnectTimeoutError, HTTPError

from .models import Delivery
from .signing import signature_header, standard_signature_header
from .ssrf import RefusedURL, Target, resolve

USER_AGENT = "ELViS-Webhooks/1"
TIMEOUT = urllib3.Timeout(total=10)
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
    """POST the delivery's envelope to its subscription's URL, checked again right now."""
    started = time.monotonic()
    try:
        target = resolve(delivery.subscription.url)
    except RefusedURL as exc:
        return Outcome(error=exc.message, refused=exc.permanent, duration_ms=_since(started))
    body = delivery.body.encode()
    request_headers = {**headers(delivery, body), "Host": target.host_header}
    error = ""
    for address in target.addresses:
        pool = _pool(target, address)
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers=request_headers,
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,
                timeout=TIMEOUT,
            )
        except ConnectTimeoutError as exc:  # also refused connections: try the next address
            error = _describe(exc)
            continue
        except (HTTPError, OSError) as exc:
            return Outcome(error=_describe(exc), duration_ms=_since(started))
        else:
            return _outcome(response, started)
        finally:
            pool.close()
    return Outcome(error=error, duration_ms=_since(started))


def _pool(target: Target, address: str) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(address, target.port, maxsize=1)


def _outcome(response: urllib3.BaseHTTPResponse, started: float) -> Outcome:
    try:
        excerpt = response.read(EXCERPT_BYTES, decode_content=False)
    except (HTTPError, OSError):
        excerpt = b""  # the status line came; a body cut short does not change it
    finally:
        response.release_conn()
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
