"""The shared cache (Redis) fails open: an unreachable cache is a miss, never a 500.

The cache holds nothing that must be there: the API's throttle counters, and whatever a request
may recompute. Django's own ``RedisCache`` raises redis-py's errors to its caller, so with Redis
cut every throttled API call answered 500 while ``/healthz/`` stayed green. This backend answers
as if the key were absent instead (a read is a miss, a write is dropped, ``add``/``touch``/
``delete`` report that nothing happened), counts it in ``elvis_cache_errors_total{operation}``
and logs one warning per outage rather than one per call: after a failure the cache is left
alone for ``PAUSE_SECONDS`` (in this process, every thread), so a Redis that hangs rather than
refuses costs one socket timeout, not one per call. Throttles let requests through meanwhile;
readiness (``/readyz/``) reports the cache down.

django-redis's ``IGNORE_EXCEPTIONS`` does the same for its own backend, but logs every failure
and has no hook for a metric; this keeps Django's built-in client and its settings.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from prometheus_client import Counter
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_ERRORS = Counter(
    "elvis_cache_errors",
    "Cache operations answered without the cache (unreachable or failing): reads as misses, "
    "writes dropped.",
    ["operation"],
)

#: Seconds the cache is left alone after a failure.
PAUSE_SECONDS = 5.0


class _Outages:
    """When each cache server may be tried again, shared by the backend instances of every
    thread (Django makes one per thread) of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def paused(self, location: str) -> bool:
        return time.monotonic() < self._until.get(location, 0.0)

    def start(self, location: str) -> bool:
        """Pause ``location``; True if it was not paused already (a new outage to log)."""
        now = time.monotonic()
        with self._lock:
            new = now >= self._until.get(location, 0.0)
            self._until[location] = now + PAUSE_SECONDS
        return new


_outages = _Outages()


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, with every operation failing open (see the module)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = server

    def _fail_open(self, operation: str, fallback: T, method: Callable[..., T], *args: Any) -> T:
        if _outages.paused(self._location):
            CACHE_ERRORS.labels(operation=operation).inc()
            return fallback
        try:
            return method(*args)
        except RedisError as exc:  # ConnectionError, TimeoutError, a full or read-only server
            CACHE_ERRORS.labels(operation=operation).inc()
            if _outages.start(self._location):
                logger.warning(
                    "cache unreachable (%s: %s): reads are misses and writes are dropped, "
                    "retried in %g s",
                    type(exc).__name__,
                    exc,
                    PAUSE_SECONDS,
                )
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._fail_open("get", default, super().get, key, default, version)

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        return self._fail_open("get_many", {}, super().get_many, list(keys), version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._fail_open("has_key", False, super().has_key, key, version)

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._fail_open("set", None, super().set, key, value, timeout, version)

    def set_many(
        self,
        data: dict[Any, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[Any]:
        # The keys that could not be stored: all of them.
        return self._fail_open("set_many", list(data), super().set_many, data, timeout, version)

    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        return self._fail_open("add", False, super().add, key, value, timeout, version)

    def touch(
        self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._fail_open("touch", False, super().touch, key, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """A missing key's answer, ``ValueError``, when the cache cannot be reached."""
        result: int | None = self._fail_open("incr", None, super().incr, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return result

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._fail_open("delete", False, super().delete, key, version)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        self._fail_open("delete_many", None, super().delete_many, list(keys), version)

    def clear(self) -> None:
        self._fail_open("clear", None, super().clear)
