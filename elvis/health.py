"""``/healthz/``: a liveness-and-database probe for container health checks; and the door to
``/readyz/``, the readiness probe (``elvis.readiness``).

It runs first in the middleware chain so that probes from inside the container (plain http,
Host 127.0.0.1) are neither redirected to https nor refused by ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import async_to_sync
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from .readiness import READINESS_PATH, readiness

HEALTH_PATH = "/healthz/"


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == READINESS_PATH:
            return async_to_sync(readiness)(request)
        if request.path != HEALTH_PATH:
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:  # any database failure means "unhealthy", never a 500 page
            return JsonResponse({"status": "error", "database": str(exc)}, status=503)
        return JsonResponse({"status": "ok"})
