"""Request latency per view: django-prometheus's histogram, labelled by the URL's name."""

from __future__ import annotations

import pytest

from . import metrics_support as support
from .metrics_support import sample, scrape

pytestmark = pytest.mark.django_db
metrics_token = support.metrics_token
HISTOGRAM = "django_http_requests_latency_seconds_by_view_method"


@pytest.mark.parametrize(
    ("path", "view"), [("/api/v1/institutions/", "api-institution-list"), ("/", "home")]
)
def test_a_view_just_hit_shows_in_the_latency_histogram(client, metrics_token, path, view):
    before = scrape(client)
    assert client.get(path).status_code == 200
    after = scrape(client)

    labels = {"view": view, "method": "GET"}
    assert sample(after, f"{HISTOGRAM}_count", **labels) == (
        sample(before, f"{HISTOGRAM}_count", **labels) + 1
    )
    assert sample(after, f"{HISTOGRAM}_sum", **labels) > sample(
        before, f"{HISTOGRAM}_sum", **labels
    )
    assert sample(after, f"{HISTOGRAM}_bucket", le="+Inf", **labels) == sample(
        after, f"{HISTOGRAM}_count", **labels
    )


def test_invented_http_methods_share_one_label_value(client, metrics_token):
    for method in ("FOO", "BAR"):
        client.generic(method, "/api/v1/institutions/")
    methods = {
        dict(labels)["method"]
        for name, labels in scrape(client)
        if name == f"{HISTOGRAM}_count" and ("view", "api-institution-list") in labels
    }
    assert "<invalid method>" in methods
    assert not methods & {"FOO", "BAR"}
