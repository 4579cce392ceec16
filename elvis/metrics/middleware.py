"""``/metrics`` for Prometheus, behind a bearer token, and request latency per view.

The endpoint runs first in the middleware chain, like ``/healthz/``: Prometheus scrapes over the
private network in plain http with the container's name as host, which the https redirect and
``ALLOWED_HOSTS`` would refuse. Without ``METRICS_TOKEN`` it does not exist (404); a missing or
wrong token is a 401. Scrapes are not themselves counted.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.middleware import PrometheusAfterMiddleware
from prometheus_client import REGISTRY, Metric
from prometheus_client.exposition import choose_encoder

from .backlog import OutboxBacklogCollector
from .multiprocess import MergedFolders

METRICS_PATH = "/metrics"


class _Scrape:
    """What one scrape exposes: this process's metrics (or, in multiprocess mode, every
    process's, merged from their files) and the outbox backlog, queried now."""

    def __init__(self, metrics_dir: str) -> None:
        self.sources = [
            MergedFolders(Path(metrics_dir)) if metrics_dir else REGISTRY,
            OutboxBacklogCollector(),
        ]

    def collect(self) -> Iterable[Metric]:
        for source in self.sources:
            yield from source.collect()


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        given.strip().encode(), token.encode()
    )


class MetricsEndpointMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.rstrip("/") != METRICS_PATH:
            return self.get_response(request)
        token = settings.METRICS_TOKEN
        if not token:
            return HttpResponse("Not found.\n", status=404, content_type="text/plain")
        if not _authorized(request, token):
            response = HttpResponse("A bearer token is required.\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            response["Content-Type"] = "text/plain"
            return response
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        response = HttpResponse(encoder(_Scrape(settings.METRICS_DIR)), content_type=content_type)
        response["Cache-Control"] = "no-store"
        return response


class RequestMetricsMiddleware(PrometheusAfterMiddleware):
    """django-prometheus's per-view metrics, with any HTTP method outside the standard ones
    counted as one label value: a client inventing methods must not invent time series."""

    def label_metric(
        self,
        metric: Any,
        request: HttpRequest,
        response: HttpResponse | None = None,
        **labels: str,
    ) -> Any:
        if "method" in labels:
            labels["method"] = self._method(request)
        return super().label_metric(metric, request, response, **labels)
