"""The visits' own pages, served in the kind's namespace (``visits:…``) beside the shared ones
(``RequestKind.extra_urls``)."""

from __future__ import annotations

from django.urls import URLPattern, re_path

from . import feeds

urlpatterns: list[URLPattern] = [
    # Any token-like string reaches the view, which answers 404 alike for every bad one.
    re_path(r"^feeds/(?P<token>[A-Za-z0-9_-]+)\.ics$", feeds.feed_view, name="feed"),
]
