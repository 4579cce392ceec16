"""How a request looks in a webhook's payload: what its kind's API viewset answers on
``GET /api/v1/<kind>-requests/<id>/``, read from the registry of request kinds, so a new kind
is rendered without touching this app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from rest_framework.request import Request

from elvis.api.requests.viewsets import viewset_for_kind
from elvis.workflow.models import AccessRequest


def render_request(request: AccessRequest, user: Any) -> dict[str, Any] | None:
    """``request`` exactly as ``GET`` on its API resource shows it to ``user`` (same queryset,
    annotations and serializer), or None when ``user`` may not see it. Always in the default
    language: a partner's payload does not change with the language of whoever caused the
    event (``status_display`` and other labels)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _render_request(request, user)


def _render_request(request: AccessRequest, user: Any) -> dict[str, Any] | None:
    http = HttpRequest()
    http.method = "GET"
    api_request = Request(http)
    api_request.user = user
    view = viewset_for_kind(request.kind)(
        action="retrieve", args=(), kwargs={"pk": request.pk}, format_kwarg=None
    )
    view.request = api_request
    instance = view.get_queryset().filter(pk=request.pk).first()
    if instance is None:
        return None
    return view.get_serializer(instance).data
