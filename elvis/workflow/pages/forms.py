"""The small forms every kind's pages share: choose an institution, filter my requests, and the
timeline's action, message and upload forms.

Each takes the ``RequestKind`` it serves where its choices depend on the kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from collections_app.models import Collection, Institution
from elvis.workflow.attachments import sniff
from elvis.workflow.comments import MAX_LENGTH as COMMENT_MAX_LENGTH

if TYPE_CHECKING:
    from elvis.workflow.kinds import RequestKind

    # The mixin is only ever put before a form class: type it as one.
    _FormBase = forms.BaseForm
else:
    _FormBase = object


def messages_by_field(error: ValidationError) -> dict[str, list[str]]:
    """A workflow error's messages by field; a plain message is a non-field error."""
    if hasattr(error, "error_dict"):
        return dict(error.message_dict)
    return {NON_FIELD_ERRORS: list(error.messages)}


def name_and_code(obj: Institution | Collection) -> str:
    return f"{obj.name} ({obj.code})"


class OptionalValidationMixin(_FormBase):
    """``validate=False`` makes a bound form redisplay its data with no errors at all (and never
    count as valid, so that it cannot be saved)."""

    def __init__(self, *args: Any, validate: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validate = validate

    def full_clean(self) -> None:
        if self.validate:
            super().full_clean()
            return
        self._errors = ErrorDict()
        self.cleaned_data = {}

    def is_valid(self) -> bool:
        return self.validate and super().is_valid()


class InstitutionChoiceForm(forms.Form):
    """Step one of a new request: an institution with a collection that takes the kind's
    requests now, and optionally one of those collections to start with (the public pages'
    "Request a loan" links: ``?institution=<id>&collection=<id>``)."""

    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none(), empty_label=_("— choose —")
    )
    collection = forms.ModelChoiceField(
        queryset=Collection.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, kind: RequestKind, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        field = cast("forms.ModelChoiceField", self.fields["institution"])
        field.queryset = (
            Institution.objects.filter(kind.offered("collections__")).distinct().order_by("name")
        )
        # The choice labels (the stubs declare a method; Django reads the attribute either way).
        field.label_from_instance = name_and_code  # type: ignore[method-assign]
        field.error_messages["invalid_choice"] = _(
            "This institution does not accept %(things)s."
        ) % {"things": kind.label_plural}
        collection = cast("forms.ModelChoiceField", self.fields["collection"])
        collection.queryset = Collection.objects.filter(kind.offered())
        collection.error_messages["invalid_choice"] = _(
            "This collection does not accept %(things)s at the moment."
        ) % {"things": kind.label_plural}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        institution, collection = data.get("institution"), data.get("collection")
        if institution and collection and collection.institution_id != institution.pk:
            self.add_error("collection", _("This collection is not one of the institution's."))
        return data


class StatusFilterForm(forms.Form):
    """My requests, filtered by one of the kind's statuses."""

    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, kind: RequestKind, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["status"]).choices = [
            ("", _("All statuses")),
            *kind.statuses,
        ]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("A PDF document or an image (PNG, JPEG, TIFF, WebP).")
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        sniff(upload)
        return upload
