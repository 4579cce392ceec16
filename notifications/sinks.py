"""Turning workflow events into notifications for the people they concern."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from collections_app.roles import INSTITUTION_PEOPLE, people_of
from elvis.workflow.events import Event
from elvis.workflow.kinds import CURATORS, REQUESTER

from .services import mark_read, notify

#: What happened, for e-mail subjects ("LOAN-2026-000042 approved"), per shared event; a kind
#: names its own events' in ``RequestKind.event_phrases``.
SHARED_EVENT_PHRASES: dict[str, str | Promise] = {
    "submitted": _("submitted"),
    "review_started": _("under review"),
    "changes_requested": _("changes requested"),
    "approved": _("approved"),
    "rejected": _("rejected"),
    "withdrawn": _("withdrawn"),
    "cancelled": _("cancelled"),
}


def what_happened(request: Any, event_name: str) -> str | Promise:
    """The event's phrase (lazy: rendered in each recipient's language); an event nobody
    named a phrase for reads as its name ("items_returned" -> "items returned")."""
    verb = event_name.split(".", 1)[1]
    phrase = request.kind.event_phrases.get(verb) or SHARED_EVENT_PHRASES.get(verb)
    return phrase or verb.replace("_", " ")


def action_label(request: Any, action: str) -> str | Promise:
    """The action's label in the kind's table (lazy), e.g. "Start review"."""
    row = request.kind.workflow.get(action)
    return row.label if row else action.replace("_", " ")


def institution_curators(institution_id: int) -> list[Any]:
    return list(people_of(institution_id, INSTITUTION_PEOPLE))


def audience(event: Event) -> list[Any]:
    """The requester hears of what staff do; the institution's curators of what the requester
    does. The actor is never told of their own action."""
    request = event.request
    if event.actor.pk == request.requester_id:
        people = institution_curators(request.institution_id)
    else:
        people = [request.requester]
    return [person for person in people if person.pk != event.actor.pk]


#: The requester's receipt for a submission (``loan.submission_received``): notifications only,
#: no webhook event; the institution hears of the submission under ``<kind>.submitted``.
SUBMISSION_RECEIVED = "submission_received"


def notify_workflow_event(event: Event) -> None:
    request = event.request
    history = event.history
    attach = request.kind.email_attachments
    context = {
        "request": request,
        "actor": event.actor,
        "history": history,
        # Each recipient's e-mail is rendered in their language: lazy texts, and the status
        # as a callable (templates call it when they render).
        "status": request.get_status_display,
        "action": action_label(request, history.action) if history else "",
        "what_happened": what_happened(request, event.name),
        "url": request.get_absolute_url(),
        "message": event.message,
    }
    notify(
        audience(event),
        event.name,
        target=request,
        attachments=attach(event.name, request) if attach else None,
        context=context,
    )
    if history is not None and history.action == "submit":
        # A submission otherwise leaves the requester with no word that it arrived.
        notify(
            [request.requester],
            f"{request.kind.name}.{SUBMISSION_RECEIVED}",
            target=request,
            context=context,
        )


def notify_reminder(event: Event, *, dedupe_key: str) -> list[Any]:
    """A kind's reminder (``loan.due_soon`` …) for the people it names, once per key."""
    request = event.request
    people = []
    if REQUESTER in event.to:
        people.append(request.requester)
    if CURATORS in event.to:
        people += institution_curators(request.institution_id)
    for name in event.to:
        if name not in (REQUESTER, CURATORS):
            people += request.kind.audiences[name](request)
    return notify(
        people,
        event.name,
        target=request,
        context={
            "request": request,
            "message": event.message,
            "what_happened": what_happened(request, event.name),
            "url": request.get_absolute_url(),
        },
        dedupe_key=dedupe_key,
    )


def mark_read_on_open(sender: type, *, access_request: Any, user: Any, **kwargs: Any) -> None:
    """``request_opened``: the person opening a request has seen what they were told of it."""
    mark_read(user, access_request)
