"""API tokens: made, hashed and checked here; the database never holds a usable key.

A key is ``elv_`` and 43 url-safe characters from ``secrets`` (256 random bits). The database
keeps its SHA-256 and its ``prefix`` (the marker and the first 8 random characters), which is
indexed for the lookup and shown in lists so people can tell their tokens apart. A plain
SHA-256 rather than a password hasher: a 256-bit random key cannot be guessed from its hash,
and a deliberately slow hasher would be paid on every API request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from elvis.statements import CompiledQuery

from .models import ApiToken, User

KEY_MARKER = "elv_"
PREFIX_LENGTH = len(KEY_MARKER) + 8
# What a key can look like (ours, 47 characters); anything else is refused before any query.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,128}")
#: ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
#: How long a token from ``POST /api/v1/auth/token/`` lasts, unless settings say otherwise.
DEFAULT_LOGIN_TOKEN_LIFETIME = timedelta(days=30)


def generate_key(marker: str = KEY_MARKER) -> str:
    """A fresh 256-bit random key; ``marker`` tells what it opens (``elv_`` an API token)."""
    return marker + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its key, which is not stored and cannot be shown again."""
    key = generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        key_hash=hash_key(key),
        expires_at=expires_at,
    )
    return token, key


def issue_login_token(user: User) -> tuple[ApiToken, str]:
    """The token a password login hands out: named after the time, expiring per settings."""
    now = timezone.now()
    lifetime = getattr(settings, "API_LOGIN_TOKEN_LIFETIME", DEFAULT_LOGIN_TOKEN_LIFETIME)
    return issue(user, f"login {now:%Y-%m-%d %H:%M} UTC", expires_at=now + lifetime)


#: The tokens of a prefix with their users: run on every API request, compiled once.
_BY_PREFIX = CompiledQuery(
    lambda prefix: ApiToken.objects.select_related("user").filter(prefix=prefix)
)


def find_token(key: str) -> ApiToken | None:
    """The token ``key`` belongs to, whatever its state, or None.

    Rows are found by prefix and the hashes compared in constant time, so timing tells nothing
    about how much of a guessed key was right.
    """
    if not KEY_PATTERN.fullmatch(key):
        return None
    digest = hash_key(key)
    for token in _BY_PREFIX.rows(key[:PREFIX_LENGTH]):
        if hmac.compare_digest(token.key_hash, digest):
            return token
    return None


def record_use(token: ApiToken) -> None:
    """Note that the token was used, writing at most once per ``LAST_USED_RESOLUTION``.

    Compare-and-set, so concurrent requests of one token make one write between them.
    """
    now = timezone.now()
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return
    stale = ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=cutoff)
    if stale.update(last_used_at=now):
        token.last_used_at = now
