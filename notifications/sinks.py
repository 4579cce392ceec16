"""Turning workflow events into notifications for the people they concern."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from collections_app.roles import INSTITUTION_PEOPLE
from elvis.workflow.events import Event
from elvis.workflow.kinds import CURATORS, REQUESTER

from .services import notify


def institution_curators(institution_id: int) -> list[Any]:
    return list(
        get_user_model()
        .objects.filter(
            memberships__institution_id=institution_id,
            memberships__role__in=INSTITUTION_PEOPLE,
            is_active=True,
        )
        .distinct()
    )


def audience(event: Event) -> list[Any]:
    """The requester hears of what staff do; the institution's curators of what the requester
    does. The actor is never told of their own action."""
    request = event.request
    if event.actor.pk == request.requester_id:
        people = institution_curators(request.institution_id)
    else:
        people = [request.requester]
    return [person for person in people if person.pk != event.actor.pk]


def notify_workflow_event(event: Event) -> None:
    request = event.request
    history = event.history
    attach = request.kind.email_attachments
    notify(
        audience(event),
        event.name,
        target=request,
        attachments=attach(event.name, request) if attach else None,
        context={
            "request": request,
            "actor": event.actor,
            "history": history,
            "status": request.get_status_display(),
            "action": history.action.replace("_", " ") if history else "",
            # "loan.items_returned" -> "items returned": what happened, for subjects.
            "what_happened": event.name.split(".", 1)[1].replace("_", " "),
            "url": request.get_absolute_url(),
            "message": event.message,
        },
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
        context={"request": request, "message": event.message, "url": request.get_absolute_url()},
        dedupe_key=dedupe_key,
    )
