"""``/api/v1/auth/``, included under ``/api/v1/`` by ``elvis.api.urls``."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ApiTokenViewSet, ObtainTokenView

router = SimpleRouter()
router.register("auth/tokens", ApiTokenViewSet, basename="api-token-own")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    *router.urls,
]
