"""Events of the workflow (``loan.approved`` …) and where they go.

``emit`` runs inside the transition's transaction and hands the event to every sink named in
``settings.ELVIS_EVENT_SINKS`` (in-app notifications and e-mail, later webhooks). Sinks record
what must be delivered in the same transaction — so a rolled-back transition notifies no one —
and enqueue the delivery with ``transaction.on_commit``; a sweeper re-enqueues whatever a
broker outage left behind, so nothing is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.dispatch import Signal
from django.utils.functional import Promise
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Event:
    name: str
    request: Any
    actor: Any
    history: Any | None = None
    #: Lazy where it is translated: each recipient reads it in their own language.
    message: str | Promise = ""
    #: Who a reminder is for (``kinds.REQUESTER``, ``kinds.CURATORS``); transitions: empty.
    to: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.name.split(".", 1)[0]


Sink = Callable[[Event], None]

#: Sent when a person opens a request's page (``access_request``, ``user``; the sender is the
#: kind's model), before it is rendered: notifications about it then count as read.
request_opened = Signal()


@cache
def sinks() -> tuple[Sink, ...]:
    return tuple(import_string(path) for path in getattr(settings, "ELVIS_EVENT_SINKS", ()))


def emit(
    name: str, request: Any, *, actor: Any, history: Any | None = None, message: str | Promise = ""
) -> Event:
    """Hand the event to the sinks — unless the request was never submitted: until then it is
    the requester's own, and nobody else hears of it (a withdrawn draft, a note on a draft)."""
    event = Event(name=name, request=request, actor=actor, history=history, message=message)
    if _is_sent(request):
        for sink in sinks():
            sink(event)
    return event


def _is_sent(request: Any) -> bool:
    """Submitted at least once, asked of the database when the instance says no (a caller may
    hold a copy loaded before the submission)."""
    if request.is_sent:
        return True
    return type(request).objects.filter(pk=request.pk, submitted_at__isnull=False).exists()


@cache
def reminder_sinks() -> tuple[Callable[..., object], ...]:
    return tuple(import_string(path) for path in getattr(settings, "ELVIS_REMINDER_SINKS", ()))


def emit_reminder(
    name: str, request: Any, *, message: str | Promise, dedupe_key: str, to: tuple[str, ...]
) -> bool:
    """A reminder (``loan.due_soon`` …) for the reminder sinks: people's notifications and
    partners' webhooks. Returns whether any sink recorded something new.

    Reminders are not transitions: there is no actor, and beat may run them twice, so each sink
    gets ``dedupe_key`` to send every reminder once, and returns what it newly recorded.
    """
    event = Event(name=name, request=request, actor=None, message=message, to=to)
    recorded = [sink(event, dedupe_key=dedupe_key) for sink in reminder_sinks()]
    return any(recorded)


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, models.Model):
            return o.pk
        if isinstance(o, models.QuerySet):
            return [obj.pk for obj in o]
        return super().default(o)


def json_safe(data: dict[str, Any]) -> dict[str, Any]:
    """The action's cleaned data as JSON (dates as ISO strings, objects as ids) for history."""
    return json.loads(json.dumps(data, cls=_Encoder))


@cache
def update_sinks() -> tuple[Callable[..., object], ...]:
    return tuple(import_string(path) for path in getattr(settings, "ELVIS_UPDATE_SINKS", ()))


def emit_update(name: str, request: Any, *, message: str | Promise = "") -> Event:
    """A kind's own event that is no transition (``digitisation.item_processed``), for the
    update sinks (partners' webhooks): people are not told of every step."""
    event = Event(name=name, request=request, actor=None, message=message)
    if _is_sent(request):
        for sink in update_sinks():
            sink(event)
    return event
