"""The one form of a transition, for every face that shows one: the admin's action page and
the timeline's buttons. The API types the same action's fields for JSON instead
(``elvis.api.requests.transitions``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .comments import MAX_LENGTH as COMMENT_MAX_LENGTH
from .fields import ItemEntriesField, ItemIdsField
from .table import Transition


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def use_date_inputs(fields: dict[str, forms.Field]) -> None:
    """Give date fields that keep Django's plain text box the browser's date picker."""
    for field in fields.values():
        if isinstance(field, forms.DateField) and type(field.widget) is forms.DateInput:
            field.widget = date_input()


class ActionForm(forms.Form):
    """The action's own fields (its form in the workflow table) with date pickers, its item
    ids as checkboxes of ``items`` (the request's outstanding items) when given, and the
    comment — required when the other side must read why (``reason_required``).

    The action's own cross-field checks run inside ``perform``, whose errors the face puts back
    on this form; ``action_data()`` is what it hands to ``perform``.
    """

    required_css_class = "required"

    def __init__(
        self,
        transition: Transition,
        data: Any = None,
        *,
        items: QuerySet | None = None,
        reason_required: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.transition = transition
        own = dict(transition.form().fields) if transition.form is not None else {}
        use_date_inputs(own)
        #: Per ``ItemEntriesField``: ``{item pk: (count field name or None, note field name)}``.
        self.entry_fields: dict[str, dict[int, tuple[str | None, str]]] = {}
        for name, field in list(own.items()):
            if isinstance(field, ItemIdsField) and items is not None:
                own[name] = forms.TypedMultipleChoiceField(
                    label=field.label,
                    coerce=int,
                    required=False,  # the action's own form says "choose at least one"
                    choices=[(item.pk, str(item)) for item in items],
                    widget=forms.CheckboxSelectMultiple,
                    help_text=field.help_text,
                )
                if isinstance(field, ItemEntriesField):
                    own = self._with_entry_fields(own, name, field, items)
        comment = forms.CharField(
            label=_("Comment") if reason_required else _("Comment (optional)"),
            required=reason_required,
            max_length=COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Kept in the request's history; the other side reads it in the e-mail."),
        )
        self.fields = {**own, "comment": comment}

    def _with_entry_fields(
        self, own: dict[str, forms.Field], name: str, field: ItemEntriesField, items: QuerySet
    ) -> dict[str, forms.Field]:
        """``own`` with, after the checkboxes of ``name``, each item's count (a lot with more
        than one outstanding: blank is all of them) and note."""
        fields: dict[str, forms.Field] = {}
        per_item: dict[int, tuple[str | None, str]] = {}
        for own_name, own_field in own.items():
            fields[own_name] = own_field
            if own_name != name:
                continue
            for item in items:
                count_name = None
                outstanding = item.outstanding_count
                if outstanding > 1:
                    count_name = f"{name}-{item.pk}-count"
                    fields[count_name] = forms.IntegerField(
                        label=_("%(item)s: how many") % {"item": item},
                        min_value=1,
                        max_value=outstanding,
                        required=False,
                        help_text=_("%(count)d outstanding; blank: all of them.")
                        % {"count": outstanding},
                    )
                note_name = f"{name}-{item.pk}-note"
                fields[note_name] = forms.CharField(
                    label=f"{item}: {field.note_label}",
                    max_length=field.note_max_length,
                    required=False,
                )
                per_item[item.pk] = (count_name, note_name)
        self.entry_fields[name] = per_item
        return fields

    def clean(self) -> dict[str, Any]:
        """An item given a count is chosen, ticked or not; a note needs its item chosen."""
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        for name, per_item in self.entry_fields.items():
            chosen = set(data.get(name) or [])
            for pk, (count_name, note_name) in per_item.items():
                if count_name and data.get(count_name):
                    chosen.add(pk)
                if data.get(note_name) and pk not in chosen:
                    self.add_error(note_name, _("Tick the item this note is about."))
            data[name] = sorted(chosen)
        return data

    def for_a_request_never_submitted(self) -> None:
        """Say so where the comment goes nowhere else: a request never submitted is the
        requester's own (withdrawing such a draft tells no one)."""
        self.fields["comment"].help_text = _(
            "Kept in the request's history; no one else is told: the request was never submitted."
        )

    def action_data(self) -> dict[str, Any]:
        """The action's own values (the comment apart), for ``perform`` to validate again;
        an ``ItemEntriesField``'s per-item inputs folded into its entries."""
        data = self.cleaned_data
        folded = {
            field
            for per_item in self.entry_fields.values()
            for names in per_item.values()
            for field in names
            if field
        }
        values = {
            name: value for name, value in data.items() if name != "comment" and name not in folded
        }
        for name, per_item in self.entry_fields.items():
            values[name] = [
                {
                    "item": pk,
                    "count": data.get(per_item[pk][0] or "") or None,
                    "note": data.get(per_item[pk][1], ""),
                }
                for pk in data[name]
            ]
        return values
