"""``/readyz/``: is this instance ready to serve? The database, the cache, the Celery broker, a
worker answering a ping, and media storage, each checked by django-health-check.

``/healthz/`` (``elvis.health``) stays the liveness probe: a process whose broker is down is
alive (restarting it would not bring the broker back) but not ready, so the two differ on
purpose. The checks run concurrently, each with a short time budget, so a probe costs at most a
few seconds even when a service hangs. The answer is JSON, ``{"status": "ok"|"error",
"checks": {name: "OK" | reason}}``, with 503 when any check fails (django-health-check's own
view answers 500 and negotiates HTML; load balancers and orchestrators expect 503 for "not
ready").

The worker check (``Workers``) wants a worker for each of the site's queues, the default one
and the webhooks' (``CELERY_WEBHOOK_QUEUE``). It is left out when tasks run eagerly
(``CELERY_TASK_ALWAYS_EAGER``, the test settings): there every task runs inside the web
process, which is answering this very request. In the embedded ``make run`` mode real workers
run beside the web server on the filesystem broker and answer like workers on Redis.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from typing import Any

from celery.app import app_or_default
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

READINESS_PATH = "/readyz/"
#: Each check's budget; a broker or worker that takes longer to answer is as good as down here.
CHECK_TIMEOUT = datetime.timedelta(seconds=2)


@dataclasses.dataclass
class Broker(HealthCheck):
    """Opens a connection to Celery's broker, whichever transport it is (Redis, AMQP, the
    embedded filesystem one): django-health-check has checks per broker product only."""

    timeout: datetime.timedelta = dataclasses.field(default=CHECK_TIMEOUT, repr=False)

    def run(self) -> None:
        app = app_or_default()
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(
                    max_retries=1,
                    interval_start=0,
                    timeout=self.timeout.total_seconds(),  # type: ignore[arg-type]  # kombu accepts seconds as float
                )
        except Exception as exc:  # any failure to connect means "not ready", with its class
            raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc


@dataclasses.dataclass
class SharedCache(Cache):
    """django-health-check's cache probe (a value written, then read back), with the cause
    named: the cache fails open (``elvis.cache``), so an unreachable Redis does not raise here,
    it just keeps nothing."""

    async def run(self) -> None:
        try:
            await super().run()
        except ServiceUnavailable as exc:
            raise ServiceUnavailable(
                "cache unreachable (served as misses: the API throttles are off)"
            ) from exc


class _EveryQueueServed(Exception):
    """Raised from the reply callback to stop collecting replies once every queue has a worker."""


@dataclasses.dataclass
class Workers(HealthCheck):
    """A worker answers for each of the site's queues (the default one and the webhooks'),
    whether one worker consumes both or one per queue does, as production runs them.

    django-health-check's ``Ping`` takes the first ``limit`` replies and wants them to cover
    every queue: with one worker per queue that depends on which answers first, and without a
    limit it always waits out its timeout. Here the replies to ``active_queues`` are collected
    until every queue is served (then at once), else until none came for the timeout."""

    timeout: datetime.timedelta = dataclasses.field(default=CHECK_TIMEOUT, repr=False)

    def run(self) -> None:
        app = app_or_default()
        wanted = {queue.name for queue in app.conf.task_queues or ()} or {
            app.conf.task_default_queue
        }
        served: set[str] = set()
        replied = False

        def on_reply(reply: dict[str, list[dict[str, Any]]]) -> None:
            nonlocal replied
            replied = True
            served.update(queue["name"] for queues in reply.values() for queue in queues or ())
            if wanted <= served:
                raise _EveryQueueServed

        try:
            app.control.inspect(
                timeout=self.timeout.total_seconds(), callback=on_reply
            ).active_queues()
        except _EveryQueueServed:
            return
        except OSError as exc:
            raise ServiceUnavailable("IOError") from exc
        if not replied:
            raise ServiceUnavailable("Celery workers unavailable")
        raise ServiceUnavailable(
            f"No worker for Celery task queue {', '.join(sorted(wanted - served))}"
        )


def readiness_checks() -> dict[str, HealthCheck]:
    """The checks by name, read from the settings on each request (tests override them)."""
    checks: dict[str, HealthCheck] = {
        "database": Database(),
        "cache": SharedCache(),
        "broker": Broker(),
        "storage": Storage(),
    }
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks["celery"] = Workers()
    return checks


class ReadinessView(HealthCheckView):
    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        checks = readiness_checks()
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in checks.values())
            )
        failed = any(result.error for result in results)
        return JsonResponse(
            {
                "status": "error" if failed else "ok",
                "checks": {
                    name: str(result.error) if result.error else "OK"
                    for name, result in zip(checks, results, strict=True)
                },
            },
            status=503 if failed else 200,
        )


readiness = ReadinessView.as_view()
