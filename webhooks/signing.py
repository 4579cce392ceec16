"""Webhook secrets and signatures (the schemes are documented in docs/webhooks.md).

Two schemes sign every delivery, with the same secrets and timestamp:

- **Standard Webhooks** (https://www.standardwebhooks.com/), so that a partner verifies with
  the ``standardwebhooks`` library of any language: ``webhook-signature: v1,<base64>`` where
  the HMAC-SHA256 is keyed with the bytes the secret's base64 stands for (``whsec_`` removed)
  and signs ``f"{webhook-id}.{webhook-timestamp}.{body}"``. Several signatures (one per valid
  secret, right after a rotation) are separated by spaces.
- ELViS's own, **deprecated** (kept for receivers written before the standard headers came):
  ``ELViS-Signature: v1=<hex>`` where ``hex = HMAC-SHA256(secret, f"{timestamp}.{body}")``,
  keyed with the whole secret string; several are separated by commas.

Signing the timestamp lets receivers refuse replays of an old delivery.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SCHEME = "v1"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def generate_secret() -> str:
    """``whsec_`` and the standard base64 of 32 random bytes: the Standard Webhooks format,
    which its libraries take as it is."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def key(secret: str) -> bytes:
    """The Standard Webhooks HMAC key of a secret: the bytes its base64 stands for.

    Secrets issued before the standard headers came are URL-safe base64 without padding
    (``-`` and ``_`` for ``+`` and ``/``), which the libraries do not read: they are read
    here in that alphabet, so they sign the same 32 bytes that their standard spelling
    (docs/webhooks.md shows how to convert) or a rotation to a new secret gives a receiver.
    """
    encoded = secret.removeprefix(SECRET_PREFIX).translate(str.maketrans("-_", "+/"))
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    message = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key(secret), message, hashlib.sha256).digest()).decode()


def standard_signature_header(
    secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """``webhook-signature``: ``v1,<base64>`` per valid secret, space-separated."""
    return " ".join(
        f"{SCHEME},{standard_signature(secret, message_id, timestamp, body)}" for secret in secrets_
    )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The deprecated ``ELViS-Signature`` value of one secret (hex)."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_: Iterable[str], timestamp: int, body: bytes) -> str:
    """The deprecated ``ELViS-Signature``: ``v1=<hex>`` per valid secret, comma-separated."""
    return ",".join(f"{SCHEME}={signature(secret, timestamp, body)}" for secret in secrets_)
