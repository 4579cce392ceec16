"""``/api/v1/<kind>-requests/`` for every registered request kind."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from elvis.workflow.kinds import all_kinds

from .viewsets import viewset_for_kind


def request_kind_routes() -> list[URLPattern | URLResolver]:
    router = SimpleRouter()
    for kind in all_kinds():
        router.register(kind.api_path, viewset_for_kind(kind), basename=kind.model._meta.model_name)
    return router.urls
