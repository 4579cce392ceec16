"""Who a user is towards requests, read once per user and then asked per request without a query.

A list of fifty requests shows ``allowed_actions`` for each: the table roles of the caller
towards each row. ``Viewer.of(user)`` reads what those roles depend on (the institutions the
user handles, whether they are the system or a superuser) once per API request (the viewset
puts it in the serializer's context), and remembers the actions per (kind, status, roles), so
a row costs a few set look-ups. ``AccessRequest.actor_roles`` asks the
same object, so there is one rule, not a fast twin of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from collections_app.roles import handled_institution_ids

from .system import is_system_actor
from .table import CURATOR, REQUESTER, SYSTEM

if TYPE_CHECKING:
    from .models import AccessRequest


@dataclass(frozen=True)
class Viewer:
    """A user's standing towards any request: enough to give their roles on each."""

    pk: int | None
    active: bool
    system: bool
    superuser: bool
    handled: frozenset[int]
    _actions: dict[tuple[str, str, frozenset[str]], list[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, user) -> Viewer:
        """The user's standing now (the institutions they handle are cached on the user)."""
        active = bool(user is not None and user.is_authenticated and user.is_active)
        return cls(
            pk=getattr(user, "pk", None),
            active=active,
            system=is_system_actor(user),
            superuser=bool(active and user.is_superuser),
            handled=frozenset(handled_institution_ids(user)) if active else frozenset(),
        )

    def roles_towards(self, request: AccessRequest) -> set[str]:
        """The table roles held towards ``request`` (see ``workflow.table``)."""
        if self.system:
            return {SYSTEM}
        roles: set[str] = set()
        if not self.active:
            return roles
        if self.pk == request.requester_id:
            roles.add(REQUESTER)
        if request.submitted_at is not None and (
            self.superuser or request.institution_id in self.handled
        ):
            roles.add(CURATOR)
        return roles

    def allowed_actions(self, request: AccessRequest) -> list[str]:
        """What the user may do to ``request`` now, in table order (a fresh list): the table's
        actions for their roles from the status (remembered per kind, status and roles), less
        those the request's own data blocks (``Transition.blocked``, read from the row)."""
        roles = frozenset(self.roles_towards(request))
        key = (request.workflow.kind, request.status, roles)
        if key not in self._actions:
            self._actions[key] = request.workflow.allowed_from(request.status, roles)
        rows = request.workflow.transitions
        return [action for action in self._actions[key] if not rows[action].is_blocked(request)]
