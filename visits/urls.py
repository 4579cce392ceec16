"""The visits' own pages, served in the kind's namespace (``visits:…``) beside the shared ones
(``RequestKind.extra_urls``)."""

from __future__ import annotations

from django.urls import path

from .calendar import MonthCalendarView

urlpatterns: list = [
    path("calendar/", MonthCalendarView.as_view(), name="calendar"),
]
