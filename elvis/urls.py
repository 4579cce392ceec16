"""Top-level URLs: pages (each request kind's from the registry), accounts, admin and the
versioned API."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from accounts.views import set_language
from elvis.workflow.pages.urls import request_kind_pages

# Errors Django raises before a view runs (a body too large, too many fields, a bad Host):
# JSON under /api/, a page elsewhere; a body too large is a 413.
handler400 = "elvis.errors.bad_request"

urlpatterns = [
    path("", include("collections_app.urls")),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    *request_kind_pages(),  # /loans/ … : each request kind's researcher pages
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("elvis.api.urls")),
]
