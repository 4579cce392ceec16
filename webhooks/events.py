"""Which events a partner can subscribe to, and how a request looks in a payload.

Both are read from the registry of request kinds (``elvis.workflow.kinds``), so a new kind
(visits, digitisation) is subscribable and rendered without touching this app: the events are
its ``RequestKind.event_names()``, and the payload is what its API viewset answers on
``GET /api/v1/<kind>-requests/<id>/``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework.request import Request

from elvis.api.requests.viewsets import viewset_for_kind
from elvis.workflow.kinds import all_kinds
from elvis.workflow.models import AccessRequest

#: Wildcard subscription: every event of the institution's requests.
ALL_EVENTS = "*"
#: Sent by ``POST /api/v1/webhooks/<id>/ping/`` whatever the subscription's events.
PING = "webhook.ping"


def known_events() -> list[str]:
    """Every event a subscription may name, sorted."""
    return sorted({name for kind in all_kinds() for name in kind.event_names()})


def validate_event_names(value: Any) -> None:
    """Model field validator (the admin's form): a non-empty list of known names or ``*``."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError(_('Give a list of event names, or ["*"] for all.'))
    unknown = sorted(set(value) - {ALL_EVENTS, *known_events()})
    if unknown:
        raise ValidationError(
            _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}, code="unknown_event"
        )


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
