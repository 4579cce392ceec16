"""The webhooks router, included under ``/api/v1/`` by ``elvis.api.urls``."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from .views import WebhookViewSet

router = SimpleRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = router.urls
