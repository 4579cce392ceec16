"""What the request form of a loan adds to the core's (``elvis.workflow.pages``): the loan's
own content fields with their date checks, and its permits with their documents.

``LoanRequestEditor`` is named by the loan kind (``loans/kind.py``); the core's pages build,
validate and save it with the shared fields, the specimens and the described lots.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elvis.workflow.action_form import date_input
from elvis.workflow.attachments import save_attachment, sniff
from elvis.workflow.pages.editor import RequestEditor, RequestForm
from elvis.workflow.pages.forms import OptionalValidationMixin

from .models import LoanRequest, Permit
from .policy import period_errors

# The history of the loan's due date: asks for more time, and their answers.
EXTENSION_ACTIONS = ("request_extension", "extend", "decline_extension")

# The loan's own fields the requester edits, after the shared ones (title, collections, purpose).
CONTENT_FIELDS = ("requested_start", "requested_end", "borrower_institution", "shipping_address")


class LoanRequestForm(RequestForm):
    class Meta(RequestForm.Meta):
        model = LoanRequest
        fields = [*RequestForm.Meta.fields, *CONTENT_FIELDS]
        widgets = {
            **RequestForm.Meta.widgets,
            "shipping_address": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "collections": _("Only collections that lend specimens are listed."),
            "purpose": _("What you will study, and why these specimens."),
        }

    def clean_requested_start(self):
        start = self.cleaned_data["requested_start"]
        if start is not None and start < timezone.localdate():
            raise ValidationError(_("The loan cannot start in the past."))
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        start, end = data.get("requested_start"), data.get("requested_end")
        if start and end and end < start:
            self.add_error("requested_end", _("The end of the loan period is before its start."))
        for field, messages in period_errors(data.get("collections") or (), start, end).items():
            self.add_error(field, messages)
        return data


class PermitForm(OptionalValidationMixin, forms.ModelForm):
    """A permit, with its document stored as an attachment of the loan."""

    document_file = forms.FileField(
        label=_("Document"),
        required=False,
        help_text=_("Optional: PDF or image. After an error on the page, choose it again."),
    )

    class Meta:
        model = Permit
        fields = ["type", "number", "issuing_authority", "valid_from", "valid_until"]
        widgets = {"valid_from": date_input(), "valid_until": date_input()}

    def __init__(self, *args: Any, uploaded_by, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.uploaded_by = uploaded_by

    def clean_document_file(self):
        upload = self.cleaned_data.get("document_file")
        if upload:
            sniff(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The permit expires before it becomes valid."))
        return data

    def save(self, commit: bool = True) -> Permit:
        permit = super().save(commit=False)
        upload = self.cleaned_data.get("document_file")
        if upload:
            permit.document = save_attachment(
                permit.loan,
                upload=upload,
                uploaded_by=self.uploaded_by,
                description=str(permit),
            )
        if commit:
            permit.save()
        return permit


PermitFormSet = forms.inlineformset_factory(
    LoanRequest,
    Permit,
    form=PermitForm,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
)


class LoanRequestEditor(RequestEditor):
    """The loan's form: the core's, with the loan's dates and addresses, and its permits."""

    form_class = LoanRequestForm
    instance: LoanRequest

    def extra_formsets(
        self, *, rows: dict, validate: bool
    ) -> dict[str, forms.BaseModelFormSet[Any, Any]]:
        self.permits = PermitFormSet(
            **rows,
            instance=self.instance,
            prefix="permits",
            queryset=Permit.objects.select_related("document"),
            form_kwargs={"validate": validate, "uploaded_by": self.requester},
        )
        return {"permits": self.permits}

    def extra_context(self, *, pressed: str | None) -> dict[str, Any]:
        """The terms of the collections offered, beside their choice."""
        offered = self.form.fields["collections"].queryset  # type: ignore[attr-defined]
        return {"loan_terms": [c for c in offered if c.has_loan_terms]}

    @classmethod
    def timeline_context(cls, access_request: LoanRequest, *, history: list) -> dict[str, Any]:
        return {
            "permits": access_request.permits.select_related("document"),
            "extensions": [entry for entry in history if entry.action in EXTENSION_ACTIONS],
        }
