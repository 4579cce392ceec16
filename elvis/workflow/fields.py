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

    def to_python(self, value: Any) -> list[int]:
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            value = [part for part in value.replace(" ", "").split(",") if part]
        if not isinstance(value, list | tuple):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
