"""Rate limits of the API: per anonymous address, per API token, per signed-in user (and per
address on the token login).

Each request is counted by exactly one of these: a token's requests by the token (two tokens
of one partner are limited apart, and revoking one does not reset the other), a browser
session's by the user, anyone else's by the address. Rates are the ``anon``, ``token`` and
``user`` scopes of ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``token`` falls back to
``user`` when unset), read when a request comes in rather than at import as DRF's own classes
do, so settings overrides apply. A refusal is DRF's 429 with a JSON ``detail`` and a
``Retry-After`` header of the seconds until the next request would be let through.
"""

from __future__ import annotations

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

    def wait(self) -> float:
        """Seconds until the oldest request that still counts leaves the window.

        DRF's estimate spreads the rest of the window over the requests left, and gives None
        (no ``Retry-After`` at all) when more requests are recorded than the rate allows,
        e.g. after the rate was lowered.
        """
        counted = self.history[: self.num_requests]
        oldest = counted[-1] if counted else self.now
        return max(oldest + self.duration - self.now, 1.0)

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
