"""Form fields the workflow's action forms share across kinds (and their faces know)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class ItemIdsField(forms.Field):
    """Ids of the request's items, from JSON (``[1, 2]``) or a form (``1,2`` or repeated
    values). The API types it as a list of ids, the admin as checkboxes of the request's items
    still outstanding, so an action on "which items" (return, capture …) is declared once."""

    default_error_messages = {"invalid": _("Give a list of item ids.")}

    def values(self, value: Any) -> list[Any] | tuple[Any, ...]:
        """The given values as a sequence: JSON's list, or a form's ``1,2`` split."""
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            value = [part for part in value.replace(" ", "").split(",") if part]
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value

    def to_python(self, value: Any) -> list[int]:
        value = self.values(value)
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class ItemEntriesField(ItemIdsField):
    """Items with input of their own: how many of each came back and a note on each (a lot of
    10 of which 6 are back, "left antenna lost" on one specimen), so that nothing said of one
    item is copied onto another.

    From JSON, ``[{"item": 3, "count": 6, "note": "…"}]``; a bare id (``[3]``, or a form's
    ``3,4``) stands for ``{"item": 3}``. ``count`` left out means all that is outstanding; the
    action checks it against the item. The value is a list of ``{"item", "count", "note"}`` in
    item order. The admin shows each outstanding item's count and note beside its checkbox
    (``elvis.workflow.action_form``); the API types it as a list of ids or objects.
    """

    default_error_messages = {
        **ItemIdsField.default_error_messages,
        "invalid": _("Give a list of item ids, or of objects with item, count and note."),
        "duplicate": _("Item %(item)s is given twice."),
        "count": _("Item %(item)s: the count must be a whole number of at least 1."),
        "note": _("Item %(item)s: the note is longer than %(max)d characters."),
    }

    def __init__(self, *, note_label: Any = None, note_max_length: int = 255, **kwargs: Any):
        super().__init__(**kwargs)
        self.note_label = note_label or _("Note")
        self.note_max_length = note_max_length

    def to_python(self, value: Any) -> list[dict[str, Any]]:  # type: ignore[override]
        entries = [self._entry(raw) for raw in self.values(value)]
        seen: set[int] = set()
        for entry in entries:
            if entry["item"] in seen:
                raise ValidationError(
                    self.error_messages["duplicate"], code="duplicate", params=entry
                )
            seen.add(entry["item"])
        return sorted(entries, key=lambda entry: entry["item"])

    def _entry(self, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raw = {"item": raw}
        item, count, note = raw.get("item"), raw.get("count"), raw.get("note") or ""
        if isinstance(item, bool) or set(raw) - {"item", "count", "note"}:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            item = int(item)
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if count is not None and (
            not isinstance(count, int) or isinstance(count, bool) or count < 1
        ):
            raise ValidationError(self.error_messages["count"], code="count", params={"item": item})
        if not isinstance(note, str):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if len(note) > self.note_max_length:
            params = {"item": item, "max": self.note_max_length}
            raise ValidationError(self.error_messages["note"], code="note", params=params)
        return {"item": item, "count": count, "note": note.strip()}
