"""The visits' own pages, served in the kind's namespace (``visits:…``) beside the shared ones
(``RequestKind.extra_urls``)."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from . import feed_pages, feeds
from .calendar import MonthCalendarView
from .team import ConfirmView

urlpatterns: list[URLPattern] = [
    path("calendar/", MonthCalendarView.as_view(), name="calendar"),
    path("feeds/", feed_pages.FeedListView.as_view(), name="feeds"),
    path("feeds/<int:pk>/revoke/", feed_pages.FeedRevokeView.as_view(), name="feed-revoke"),
    # Any token-like string reaches the view, which answers 404 alike for every bad one.
    re_path(r"^feeds/(?P<token>[A-Za-z0-9_-]+)\.ics$", feeds.feed_view, name="feed"),
    path("confirm/<uuid:token>/", ConfirmView.as_view(), name="confirm"),
]
