"""``/api/v1/``: each app's router, every registered request kind's resource, token login, and
the OpenAPI schema and docs."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .requests.queue import QueueView
from .requests.urls import request_kind_routes
from .views import not_found

urlpatterns = [
    path("", include("collections_app.api.urls")),
    path("", include(request_kind_routes())),
    path("queue/", QueueView.as_view(), name="api-queue"),
    path("", include("notifications.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("accounts.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split: Swagger UI's set-up script is a file of its own (?script), not an inline <script>
    # the Content-Security-Policy would block.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Keep last: anything else under /api/v1/ is a JSON 404.
    re_path(r"", not_found),
]
