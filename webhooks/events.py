"""Which events a partner can subscribe to.

Read from the registry of request kinds (``elvis.workflow.kinds``), so a new kind (visits,
digitisation) is subscribable without touching this app: the events are its
``RequestKind.event_names()``. How a request looks in a payload is ``payloads``'s: the
subscription model's validator imports this module as every process starts, and the API's
viewsets it would otherwise bring along were a quarter of ``django.setup()`` for a command
that never renders a payload (``import_dwca``, a worker's start; bench/README.md).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from elvis.workflow.kinds import all_kinds

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
