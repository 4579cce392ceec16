"""Which events a partner can subscribe to, and how a request looks in a payload.

Both are derived from the request kinds themselves, so a new kind (visits, digitisation) is
subscribable and rendered without touching this app: the events are its transition table's
``<kind>.<event>`` names plus ``<kind>.commented`` and its reminders, and the payload is what its
API viewset (``<app>.api.views``, a subclass of ``AccessRequestViewSet``) answers on
``GET /api/v1/<kind>-requests/<id>/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from rest_framework.request import Request

from elvis.workflow.models import AccessRequest

#: Wildcard subscription: every event of the institution's requests.
ALL_EVENTS = "*"
#: Sent by ``POST /api/v1/webhooks/<id>/ping/`` whatever the subscription's events.
PING = "webhook.ping"
#: Reminders sent by each kind's beat task (``loans.tasks``), outside the transition table.
REMINDERS: dict[str, tuple[str, ...]] = {"loan": ("due_soon", "overdue")}


def request_models() -> list[type[AccessRequest]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, AccessRequest) and hasattr(model, "workflow")
    ]


def known_events() -> list[str]:
    """Every event a subscription may name, sorted."""
    names: set[str] = set()
    for model in request_models():
        kind = model.workflow.kind
        names.update(f"{kind}.{row.event}" for row in model.workflow.transitions.values())
        names.add(f"{kind}.commented")
        names.update(f"{kind}.{reminder}" for reminder in REMINDERS.get(kind, ()))
    return sorted(names)


def validate_event_names(value: Any) -> None:
    """Model field validator (the admin's form): a non-empty list of known names or ``*``."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError(_('Give a list of event names, or ["*"] for all.'))
    unknown = sorted(set(value) - {ALL_EVENTS, *known_events()})
    if unknown:
        raise ValidationError(
            _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}, code="unknown_event"
        )


def _subclasses(cls: type) -> Iterator[type]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


@cache
def viewset_for(model: type[AccessRequest]) -> type:
    """The API viewset that serves ``model`` (imported, since a worker loads no URLconf)."""
    from elvis.api.workflow import AccessRequestViewSet

    import_module(f"{model._meta.app_config.name}.api.views")
    for viewset in _subclasses(AccessRequestViewSet):
        if viewset.__dict__.get("model") is model:
            return viewset
    raise ImproperlyConfigured(f"No AccessRequestViewSet serves {model.__name__}.")


def render_request(request: AccessRequest, user: Any) -> dict[str, Any] | None:
    """``request`` exactly as ``GET`` on its API resource shows it to ``user`` (same queryset,
    annotations and serializer), or None when ``user`` may not see it."""
    http = HttpRequest()
    http.method = "GET"
    api_request = Request(http)
    api_request.user = user
    view = viewset_for(type(request))(
        action="retrieve", args=(), kwargs={"pk": request.pk}, format_kwarg=None
    )
    view.request = api_request
    instance = view.get_queryset().filter(pk=request.pk).first()
    if instance is None:
        return None
    return view.get_serializer(instance).data
