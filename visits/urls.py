"""The visits' own pages, served in the kind's namespace (``visits:…``) beside the shared ones
(``RequestKind.extra_urls``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from .team import ConfirmView

urlpatterns: list[URLPattern] = [
    path("confirm/<uuid:token>/", ConfirmView.as_view(), name="confirm"),
]
