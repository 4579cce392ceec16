"""The one form of a transition, for every face that shows one: the admin's action page and
the timeline's buttons. The API types the same action's fields for JSON instead
(``elvis.api.requests.transitions``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .comments import MAX_LENGTH as COMMENT_MAX_LENGTH
from .fields import ItemIdsField
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
        for name, field in own.items():
            if isinstance(field, ItemIdsField) and items is not None:
                own[name] = forms.TypedMultipleChoiceField(
                    label=field.label,
                    coerce=int,
                    required=False,  # the action's own form says "choose at least one"
                    choices=[(item.pk, str(item)) for item in items],
                    widget=forms.CheckboxSelectMultiple,
                    help_text=field.help_text,
                )
        comment = forms.CharField(
            label=_("Comment") if reason_required else _("Comment (optional)"),
            required=reason_required,
            max_length=COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Kept in the request's history; the other side reads it in the e-mail."),
        )
        self.fields = {**own, "comment": comment}

    def action_data(self) -> dict[str, Any]:
        """The action's own values (the comment apart), for ``perform`` to validate again."""
        return {name: value for name, value in self.cleaned_data.items() if name != "comment"}
