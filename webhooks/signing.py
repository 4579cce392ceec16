"""Webhook secrets and signatures (the scheme is documented in docs/webhooks.md).

``ELViS-Signature: v1=<hex>`` where ``hex = HMAC-SHA256(secret, f"{timestamp}.{body}")``: the
timestamp is the ``ELViS-Timestamp`` header (Unix seconds) and the body the raw bytes POSTed.
Signing the timestamp lets receivers refuse replays of an old delivery. Right after a secret
rotation the header carries one ``v1=`` per valid secret, comma-separated.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

SCHEME = "v1"
SECRET_PREFIX = "whsec_"


def generate_secret() -> str:
    """32 random bytes, URL-safe; the whole string (prefix included) is the HMAC key."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_: Iterable[str], timestamp: int, body: bytes) -> str:
    return ",".join(f"{SCHEME}={signature(secret, timestamp, body)}" for secret in secrets_)
