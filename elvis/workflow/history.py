"""A request's history as people read it: who did what, when, from which status to which,
what they said, and the action's details under the labels of the action's own form.

Each history row stores its action's cleaned input as JSON (``HistoryEntry.data``), which is
what happened exactly but reads as a blob; here every detail gets its form field's label and a
plain value (items named, not numbered; yes/no; dates as stored, ISO 8601).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .kinds import RequestKind
    from .models import AccessRequest, HistoryEntry


@dataclass(frozen=True)
class Detail:
    label: str
    value: str


@dataclass(frozen=True)
class HistoryLine:
    entry: HistoryEntry
    actor: str
    action: str
    from_status: str
    to_status: str
    details: list[Detail]

    @property
    def moved(self) -> bool:
        """Did the status change (an extension keeps the loan on loan)?"""
        return self.entry.from_status != self.entry.to_status


def label_history(kind: RequestKind, history: list[Any]) -> None:
    """Give each row the labels of its action and statuses (``action_label``, ``from_label``,
    ``to_label``), in the reader's language."""
    status_labels = dict(kind.statuses)
    for entry in history:
        row = kind.workflow.get(entry.action)
        entry.action_label = row.label if row else entry.action
        entry.from_label = status_labels.get(entry.from_status, entry.from_status)
        entry.to_label = status_labels.get(entry.to_status, entry.to_status)


def _value(value: Any, item_names: dict[int, str]) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(item_names.get(v, str(v)) if isinstance(v, int) else str(v) for v in value)
    return str(value)


def _details(kind: RequestKind, entry: Any, item_names: dict[int, str]) -> list[Detail]:
    row = kind.workflow.get(entry.action)
    fields = row.form.base_fields if row and row.form else {}
    details = []
    for name, value in (entry.data or {}).items():
        if value in (None, "", []):
            continue
        field = fields.get(name)
        label = field.label if field is not None and field.label else name.replace("_", " ")
        names = item_names if name == "items" else {}
        details.append(Detail(str(capfirst(label)), _value(value, names)))
    return details


def readable_history(access_request: AccessRequest) -> list[HistoryLine]:
    """The request's history, oldest first, in two queries (rows with actors, and items)."""
    kind = access_request.kind
    history = list(access_request.history.select_related("actor"))
    label_history(kind, history)
    item_names: dict[int, str] = {}
    if kind.items is not None and any("items" in (entry.data or {}) for entry in history):
        items = access_request.items.select_related("specimen")
        item_names = {item.pk: str(item) for item in items}
    return [
        HistoryLine(
            entry=entry,
            actor=entry.actor.get_full_name() or entry.actor.email,
            action=str(entry.action_label),
            from_status=str(entry.from_label),
            to_status=str(entry.to_label),
            details=_details(kind, entry, item_names),
        )
        for entry in history
    ]
