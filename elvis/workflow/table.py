"""Declarative transition tables (DESIGN.md §2).

A kind's workflow is a table of ``action -> Transition(sources, target, roles)``. The table is
the single source of truth for what may happen: ``perform`` enforces it, the API's
``allowed_actions`` and the admin's action buttons are read from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import Promise
    from django_stubs_ext import StrOrPromise

# Roles an actor can hold towards one request (computed per request, see ``actor_roles``).
REQUESTER = "requester"
CURATOR = "curator"
#: The system itself (``elvis.workflow.system``): pipeline steps such as a delivery.
SYSTEM = "system"

# Statuses shared by every kind.
DRAFT = "draft"
SUBMITTED = "submitted"
UNDER_REVIEW = "under_review"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
CANCELLED = "cancelled"

#: The shared statuses and their labels, defined once; a kind adds its own (``status_choices``).
COMMON_STATUSES: tuple[tuple[str, Promise], ...] = (
    (DRAFT, _("Draft")),
    (SUBMITTED, _("Submitted")),
    (UNDER_REVIEW, _("Under review")),
    (CHANGES_REQUESTED, _("Changes requested")),
    (APPROVED, _("Approved")),
    (REJECTED, _("Rejected")),
    (WITHDRAWN, _("Withdrawn")),
    (CANCELLED, _("Cancelled")),
)


def status_choices(name: str, *own: tuple[str, Promise]) -> Any:
    """A kind's status enumeration: the shared statuses, then the kind's own.

    ``status_choices("LoanStatus", ("dispatched", _("Dispatched")))`` gives ``LoanStatus.DRAFT``
    … ``LoanStatus.DISPATCHED`` with their labels, for the model field's ``choices``. Typed
    ``Any``: a ``models.TextChoices`` subclass whose members are made at run time, which a
    static checker cannot see (it would reject ``LoanStatus.DISPATCHED``).
    """
    members = [(value.upper(), (value, label)) for value, label in (*COMMON_STATUSES, *own)]
    # django-stubs types only the member constructor, not Enum's functional API used here.
    return models.TextChoices(name, members)  # type: ignore[call-overload]


#: ``apply(request, actor, data)``: the action's own changes on the locked request.
Apply = Callable[[Any, Any, dict[str, Any]], "str | None"]
#: ``blocked(request)``: why the action cannot be done on this request now although its status
#: allows it (e.g. no extension asked for to decline), or ``None`` when it can.
Blocked = Callable[[Any], "StrOrPromise | None"]


@dataclass(frozen=True)
class Transition:
    """One row of the table.

    ``apply(request, actor, data)`` makes the action's own changes on the locked request (the
    fields it sets must be listed in ``fields``); it may return the target status when the table
    allows several (``target`` is then ``None``), and may raise ``ValidationError`` or
    ``ActionConflict``. ``form`` validates the action's input for every face (API, admin, pages).

    ``irreversible`` marks an action that cannot be undone (a withdrawal, a rejection): every
    HTML face shows it as a secondary, destructive control and does it only after a
    confirmation page; the API, whose callers decide for themselves, is unchanged.

    ``requires_complete`` (the submission) first checks that every field a draft may leave
    empty is filled (``completeness.missing_for_submit``): a draft saves with a title alone.

    ``stays`` marks an action that records something without moving the request on (a loan's
    extension asked for, a return shipment): the status is unchanged, from any of ``sources``.
    ``blocked`` refuses it, with its reason, where the request's own data forbids it though
    its status allows it (one pending extension at a time): ``perform`` answers a conflict
    (409), and the action is not among the request's ``allowed_actions``.
    """

    action: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    event: str
    label: StrOrPromise
    form: type[forms.Form] | None = None
    apply: Apply | None = None
    fields: tuple[str, ...] = ()
    irreversible: bool = False
    requires_complete: bool = False
    stays: bool = False
    blocked: Blocked | None = None

    def is_blocked(self, request: Any) -> bool:
        return self.blocked is not None and bool(self.blocked(request))

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        """Validate the action's input with its form; raises ``forms.ValidationError``."""
        if self.form is None:
            return {}
        form = self.form(data=data)
        if not form.is_valid():
            raise forms.ValidationError(form.errors.as_data())
        return form.cleaned_data


def transition(
    action: str,
    sources: Iterable[str],
    target: str | None,
    roles: Iterable[str],
    *,
    event: str,
    label: StrOrPromise,
    form: type[forms.Form] | None = None,
    apply: Apply | None = None,
    fields: Iterable[str] = (),
    irreversible: bool = False,
    requires_complete: bool = False,
    stays: bool = False,
    blocked: Blocked | None = None,
) -> Transition:
    return Transition(
        action=action,
        sources=frozenset(sources),
        target=target,
        roles=frozenset(roles),
        event=event,
        label=label,
        form=form,
        apply=apply,
        fields=tuple(fields),
        irreversible=irreversible,
        requires_complete=requires_complete,
        stays=stays,
        blocked=blocked,
    )


@dataclass
class Workflow:
    """A kind's table. ``kind`` names its events (``loan.approved``) and its references."""

    kind: str
    transitions: dict[str, Transition] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, row in self.transitions.items():
            if name != row.action:
                raise ValueError(f"table key {name!r} does not match action {row.action!r}")

    def extend(self, kind: str, *rows: Transition) -> Workflow:
        """A new table: this one plus (or with replaced) ``rows``."""
        merged = dict(self.transitions)
        merged.update({row.action: row for row in rows})
        return Workflow(kind=kind, transitions=merged)

    def replace(self, action: str, **changes: Any) -> Transition:
        """A copy of one row with some attributes changed (for a kind's variant of it)."""
        row = self.transitions[action]
        values = {name: getattr(row, name) for name in row.__dataclass_fields__}
        values.update(changes)
        for key in ("sources", "roles"):
            values[key] = frozenset(values[key])
        return Transition(**values)

    def get(self, action: str) -> Transition | None:
        return self.transitions.get(action)

    def allowed_from(self, status: str, roles: Iterable[str]) -> list[str]:
        """Actions that ``roles`` may perform from ``status``, in table order."""
        held = set(roles)
        return [
            name
            for name, row in self.transitions.items()
            if status in row.sources and held & row.roles
        ]

    def _onward(self, status: str) -> list[Transition]:
        """The rows that move a request on from ``status``: not withdrawing, which is always
        open to the requester and is giving up rather than what is awaited, nor actions that
        record something and leave the status (``stays``)."""
        return [
            row
            for row in self.transitions.values()
            if status in row.sources and row.target != WITHDRAWN and not row.stays
        ]

    def waits_on_requester(self, status: str) -> bool:
        """Whether only the requester can move a request on from ``status`` (e.g. changes
        requested, a loan to confirm as received): the institution then waits for them, and
        the requester's page puts what the institution last said first."""
        onward = self._onward(status)
        return bool(onward) and all(row.roles == {REQUESTER} for row in onward)

    def waits_on_institution(self, status: str) -> bool:
        """Whether the institution's side (its curators, or its own pipeline) has the next
        step from ``status`` (a review, a dispatch, a return to record, images to take): the
        statuses of the curators' work queue. Giving up (an irreversible cancel) is not a next
        step, so an approved request that can only be cancelled does not wait on them."""
        return any(
            row.roles & {CURATOR, SYSTEM} and not row.irreversible for row in self._onward(status)
        )

    @property
    def open_statuses(self) -> set[str]:
        """Statuses a request can still leave: the work not yet done (not withdrawn, rejected,
        cancelled or closed). Read from the table, so a kind's own statuses count too."""
        return {status for row in self.transitions.values() for status in row.sources}

    def actions_for_roles(self, roles: Iterable[str]) -> set[str]:
        held = set(roles)
        return {name for name, row in self.transitions.items() if held & row.roles}

    @property
    def statuses(self) -> set[str]:
        found: set[str] = set()
        for row in self.transitions.values():
            found |= row.sources
            if row.target:
                found.add(row.target)
        return found
