"""Rate limits of the API: per anonymous address, per API token, per signed-in user (and per
address on the token login).

Each request is counted by exactly one of these: a token's requests by the token (two tokens
of one partner are limited apart, and revoking one does not reset the other), a browser
session's by the user, anyone else's by the address. Rates are the ``anon``, ``token`` and
``user`` scopes of ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``token`` falls back to
``user`` when unset), read when a request comes in rather than at import as DRF's own classes
do, so settings overrides apply. A refusal is DRF's 429 with a JSON ``detail`` and a
``Retry-After`` header of the seconds until the next request would be let through.

Requests are counted in fixed windows of the rate's period: one number per client and window,
raised by ``cache.incr`` (atomic in Redis). DRF's own throttles keep a list of the times of
every request in the period, which each request read, unpickled, pickled and wrote back whole:
at the default 3,000/minute a busy token's request carried a 27 KB list both ways (0.1 ms of
CPU, twice that for a client near 6,000), and two processes writing at once lost each other's
requests. The price of a window: a client may spend its allowance at the end of one window and
again at the start of the next (GitHub's API counts so too). A refused request is counted as
well, which changes nothing: the window ends when it ends.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken
from elvis.clientip import client_ip


class RateThrottle(SimpleRateThrottle):
    """The shared mechanics: current rates, a safe client address, an exact wait."""

    fallback_scope: str | None = None
    # Set by SimpleRateThrottle.__init__ from the rate (the stubs do not declare them).
    num_requests: int
    duration: int
    window_end: float

    def get_rate(self) -> str | None:
        # Rates are strings such as "20/minute" (the stubs type them as numbers).
        rates: dict[str, str | None] = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        for scope in (self.scope, self.fallback_scope):
            if scope in rates:
                return rates[scope]
        raise ImproperlyConfigured(f"No throttle rate is set for the {self.scope!r} scope.")

    def get_ident(self, request: Request) -> str:
        """The client's address, as the login lock-out and the logs see it
        (``elvis.clientip``).

        DRF's default keys on the whole ``X-Forwarded-For`` header when ``NUM_PROXIES`` is
        unset, which a client writes itself to get a fresh allowance per request.
        """
        return client_ip(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        return self._count(f"{self.key}:{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        """Count this request in its window: the window's requests so far, this one included.
        With the cache unreachable (``elvis.cache``), 1: the request goes through."""
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first request: no counter yet
            # Kept a little past the window's end (Redis's ``INCR`` keeps a key's expiry).
            if self.cache.add(key, 1, math.ceil(self.window_end - self.now) + 1):
                return 1
        try:  # another process added it first
            return self.cache.incr(key)
        except ValueError:
            return 1

    def wait(self) -> float:
        """Seconds until the window ends, when the count starts again (at least one)."""
        return max(self.window_end - self.now, 1.0)

    def key_for(self, ident: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousThrottle(RateThrottle):
    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.key_for(self.get_ident(request))


class LoginThrottle(AnonymousThrottle):
    """``POST /api/v1/auth/token/``, which authenticates no one: per address, ``login`` rate."""

    scope = "login"


class ApiTokenThrottle(RateThrottle):
    scope = "token"
    fallback_scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.key_for(request.auth.pk)


class UserThrottle(RateThrottle):
    """Signed-in users without a token (browser sessions)."""

    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken) or not (
            request.user and request.user.is_authenticated
        ):
            return None
        return self.key_for(request.user.pk)
