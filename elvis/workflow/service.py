"""``perform``: the only way a request's status changes.

It locks the request row, checks the table and the actor's role, validates and applies the
action's own changes, writes one immutable history row, and emits the event — whose
notifications and webhooks are dispatched only after the transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from elvis.transactions import atomic_with_outcome

from . import events
from .completeness import missing_for_submit
from .errors import ActionConflict, ActionForbidden, InvalidTransition, UnknownAction
from .models import AccessRequest, HistoryEntry
from .offers import closed_collections
from .table import SUBMITTED, Transition

logger = logging.getLogger(__name__)

R = TypeVar("R", bound=AccessRequest)
T = TypeVar("T")


def check_allowed(request: AccessRequest, action: str, *, actor) -> Transition:
    """The table row for ``action`` if ``actor`` may perform it on ``request`` now.

    Raises ``UnknownAction``, ``ActionForbidden``, ``InvalidTransition`` or, when the request's
    own data blocks the action (``Transition.blocked``), ``ActionConflict``. ``perform`` runs it
    on the locked row; faces that show an action's form first run it to refuse early.
    """
    workflow = request.workflow
    row = workflow.get(action)
    if row is None:
        raise UnknownAction(_("Unknown action “%(action)s”.") % {"action": action})
    roles = request.actor_roles(actor)
    if not roles & row.roles:
        raise ActionForbidden(
            _("You may not %(action)s this request.") % {"action": row.label.lower()}
        )
    if request.status not in row.sources:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the request is %(status)s.")
            % {"action": row.label, "status": request.get_status_display().lower()},
            status=request.status,
            allowed_actions=workflow.allowed_from(request.status, roles),
        )
    if row.blocked is not None and (reason := row.blocked(request)):
        raise ActionConflict(reason)
    return row


def perform(request: R, action: str, *, actor, comment: str = "", **data: Any) -> R:
    """Perform ``action`` on ``request`` as ``actor`` and return the updated request.

    Raises ``UnknownAction`` (no such action), ``ActionForbidden`` (the actor holds no role
    that may do it), ``InvalidTransition`` (not from the current state), or the action's own
    ``ValidationError`` / ``ActionConflict``. Nothing is written unless everything succeeds.
    The returned request is the locked row as saved: answering from it needs no new read.
    """
    return perform_and_answer(request, action, _itself, actor=actor, comment=comment, **data)


def _itself(locked: R) -> R:
    return locked


def perform_and_answer(
    request: R, action: str, answer: Callable[[R], T], /, *, actor, comment: str = "", **data: Any
) -> T:
    """``perform``, and ``answer(updated request)`` built in the same transaction, still
    holding the lock: a face's reply (the API's serialized resource) then needs no read after
    the commit, which a broken connection could turn into a 500 hiding a done transition.

    If the connection breaks while committing, a new one is asked whether the transition's
    history row exists (after waiting for the request's row lock): if so, the answer is
    returned as if nothing happened (the e-mails and webhooks written with it go out through
    the outbox sweepers, as the commit hooks were lost); if not, the error is raised.
    """
    model = type(request)
    workflow = request.workflow
    if workflow.get(action) is None:
        raise UnknownAction(_("Unknown action “%(action)s”.") % {"action": action})

    def work() -> tuple[R, str, HistoryEntry, T]:
        locked = cast("R", model.objects.select_for_update().get(pk=request.pk))
        row = check_allowed(locked, action, actor=actor)
        cleaned = row.clean(data)
        if row.requires_complete and (
            refused := {**missing_for_submit(locked), **closed_collections(locked)}
        ):
            raise ValidationError(refused)
        from_status = locked.status
        target = row.apply(locked, actor, cleaned) if row.apply else None
        # The table gives every row a target, or an ``apply`` that returns one, or keeps it.
        locked.status = from_status if row.stays else cast(str, target or row.target)
        update_fields = ["status", "updated_at", *row.fields]
        if locked.status == SUBMITTED and locked.submitted_at is None:
            locked.submitted_at = timezone.now()
            update_fields.append("submitted_at")
        locked.save(update_fields=update_fields)
        entry = locked.history.create(
            action=action,
            from_status=from_status,
            to_status=locked.status,
            actor=actor,
            comment=comment,
            data=events.json_safe(cleaned),
        )
        events.emit(f"{workflow.kind}.{row.event}", locked, actor=actor, history=entry)
        return locked, from_status, entry, answer(locked)

    def committed(done: tuple[R, str, HistoryEntry, T]) -> bool:
        # Waits while the transaction that lost its connection still holds the row.
        model.objects.select_for_update().filter(pk=request.pk).exists()
        return request.history.filter(pk=done[2].pk).exists()

    locked, from_status, _entry, result = atomic_with_outcome(work, committed=committed)
    logger.info(
        "%s: %s %s -> %s by %s", locked.reference, action, from_status, locked.status, actor.pk
    )
    return result
