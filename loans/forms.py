"""Forms of the researcher's loan pages: the request with its items and permits, the catalogue
search, and the timeline's action, message and upload forms.

The request page is one HTML form that works without JavaScript, so some buttons (search the
catalogue, add a row) send the whole form back only to show it again: its forms are then built
with ``validate=False`` and redisplay what was typed without judging it yet.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_app.models import Collection, Institution, Specimen
from collections_app.search import search_specimens
from elvis.workflow.attachments import save_attachment, sniff
from elvis.workflow.comments import MAX_LENGTH as COMMENT_MAX_LENGTH
from elvis.workflow.errors import ActionConflict
from elvis.workflow.table import Transition

from .models import LoanAttachment, LoanItem, LoanRequest, LoanStatus, Permit
from .workflow import IdListField

SEARCH_LIMIT = 20
# The request's own fields the requester edits; saving writes only these (never the status).
CONTENT_FIELDS = (
    "title",
    "purpose",
    "requested_start",
    "requested_end",
    "borrower_institution",
    "shipping_address",
)


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def messages_by_field(error: ValidationError) -> dict[str, list[str]]:
    """A workflow error's messages by field; a plain message is a non-field error."""
    if hasattr(error, "error_dict"):
        return dict(error.message_dict)
    return {NON_FIELD_ERRORS: list(error.messages)}


def name_and_code(obj: Institution | Collection) -> str:
    return f"{obj.name} ({obj.code})"


def loan_collections(institution: Institution) -> QuerySet[Collection]:
    return institution.collections.filter(accepts_loans=True).order_by("name", "pk")


class OptionalValidationMixin:
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
    """Step one of a new request: which institution to borrow from."""

    institution = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.filter(collections__accepts_loans=True)
        .distinct()
        .order_by("name"),
        empty_label=_("— choose —"),
        error_messages={"invalid_choice": _("This institution does not lend specimens.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].label_from_instance = name_and_code


class LoanRequestForm(OptionalValidationMixin, forms.ModelForm):
    """The request's content and its catalogued specimens (chosen by id, never listed whole)."""

    specimens = forms.ModelMultipleChoiceField(
        label=_("Specimens"),
        queryset=Specimen.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,
        error_messages={
            "invalid_choice": _(
                "Specimen %(value)s is not in the catalogue of this institution's loan collections."
            ),
            "invalid_pk_value": _("“%(pk)s” is not a specimen."),
        },
    )

    class Meta:
        model = LoanRequest
        fields = ["title", "collections", *CONTENT_FIELDS[1:]]
        widgets = {
            "collections": forms.CheckboxSelectMultiple,
            "requested_start": date_input(),
            "requested_end": date_input(),
            "purpose": forms.Textarea(attrs={"rows": 5}),
            "shipping_address": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "collections": _("Only collections that lend specimens are listed."),
            "purpose": _("What you will study, and why these specimens."),
        }

    def __init__(self, *args: Any, institution: Institution, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        collections = loan_collections(institution)
        self.fields["collections"].queryset = collections
        self.fields["collections"].label_from_instance = name_and_code
        self.fields["specimens"].queryset = Specimen.objects.filter(collection__in=collections)
        if self.instance.pk and not self.is_bound:
            self.initial["specimens"] = list(
                self.instance.items.filter(specimen__isnull=False).values_list(
                    "specimen_id", flat=True
                )
            )

    def clean_requested_start(self):
        start = self.cleaned_data["requested_start"]
        if start < timezone.localdate():
            raise ValidationError(_("The loan cannot start in the past."))
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("requested_start"), data.get("requested_end")
        if start and end and end < start:
            self.add_error("requested_end", _("The end of the loan period is before its start."))
        chosen = data.get("collections")
        if chosen is not None and data.get("specimens"):
            chosen_ids = {collection.pk for collection in chosen}
            foreign = [
                s.catalog_number for s in data["specimens"] if s.collection_id not in chosen_ids
            ]
            if foreign:
                self.add_error(
                    "specimens",
                    _("Not in the chosen collections: %(numbers)s.")
                    % {"numbers": ", ".join(sorted(foreign))},
                )
        return data

    def chosen_specimens(self) -> QuerySet[Specimen]:
        """The specimens currently chosen (typed or saved), for display beside the form."""
        raw = self["specimens"].value() or []
        ids = {int(v) for v in raw if str(v).isdigit()}
        return self.fields["specimens"].queryset.filter(pk__in=ids).select_related("collection")

    def save(self, commit: bool = True) -> LoanRequest:
        """Save the content fields only (a concurrent transition owns the status), then items."""
        loan = super().save(commit=False)
        if loan.pk:
            loan.save(update_fields=[*CONTENT_FIELDS, "updated_at"])
        else:
            loan.save()
        self.save_m2m()
        wanted = {specimen.pk for specimen in self.cleaned_data["specimens"]}
        items = loan.items.filter(specimen__isnull=False)
        items.exclude(specimen_id__in=wanted).delete()
        present = set(items.values_list("specimen_id", flat=True))
        LoanItem.objects.bulk_create(
            LoanItem(loan=loan, specimen_id=pk) for pk in sorted(wanted - present)
        )
        return loan


class DescribedLotForm(OptionalValidationMixin, forms.ModelForm):
    """A lot not catalogued individually, e.g. "20 unsorted Carabidae, drawer 14"."""

    description = forms.CharField(label=_("Description"), max_length=255)
    quantity = forms.IntegerField(label=_("Count"), min_value=1, initial=1)

    class Meta:
        model = LoanItem
        fields = ["description", "quantity"]


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
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The permit expires before it becomes valid."))
        return data

    def save(self, commit: bool = True) -> Permit:
        permit = super().save(commit=False)
        upload = self.cleaned_data.get("document_file")
        if upload:
            permit.document = save_attachment(
                LoanAttachment,
                request=permit.loan,
                upload=upload,
                uploaded_by=self.uploaded_by,
                description=str(permit),
            )
        if commit:
            permit.save()
        return permit


DescribedLotFormSet = forms.inlineformset_factory(
    LoanRequest,
    LoanItem,
    form=DescribedLotForm,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
)
PermitFormSet = forms.inlineformset_factory(
    LoanRequest,
    Permit,
    form=PermitForm,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
)


class LoanRequestEditor:
    """The request page: the request, its described lots and permits, validated and saved as one."""

    def __init__(
        self,
        *,
        requester,
        institution: Institution,
        loan: LoanRequest | None = None,
        data=None,
        files=None,
        validate: bool = True,
        bind_rows: bool = True,
    ) -> None:
        self.institution = institution
        self.loan = loan or LoanRequest(requester=requester, institution=institution)
        self.form = LoanRequestForm(
            data, files, instance=self.loan, institution=institution, validate=validate
        )
        rows = {"data": data, "files": files} if bind_rows else {}
        self.lots = DescribedLotFormSet(
            **rows,
            instance=self.loan,
            prefix="lots",
            queryset=LoanItem.objects.filter(specimen__isnull=True),
            form_kwargs={"validate": validate},
        )
        self.permits = PermitFormSet(
            **rows,
            instance=self.loan,
            prefix="permits",
            queryset=Permit.objects.select_related("document"),
            form_kwargs={"validate": validate, "uploaded_by": requester},
        )

    @classmethod
    def after_failed_submit(
        cls, loan: LoanRequest, data, errors: ValidationError
    ) -> LoanRequestEditor:
        """The saved draft shown again with the submission's errors beside their fields.

        The rows come from the database: the posted row forms no longer match the saved rows.
        """
        editor = cls(
            requester=loan.requester,
            institution=loan.institution,
            loan=loan,
            data=data,
            bind_rows=False,
        )
        editor.form.is_valid()
        messages = messages_by_field(errors)
        items = messages.pop("items", [])
        if items:
            editor.form.add_error("specimens", items)
        for field, field_messages in messages.items():
            editor.form.add_error(field if field in editor.form.fields else None, field_messages)
        return editor

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.lots.is_valid(), self.permits.is_valid()])

    @transaction.atomic
    def save(self) -> LoanRequest:
        """Save everything in one transaction, unless the request has left the draft stage."""
        if self.loan.pk:
            locked = LoanRequest.objects.select_for_update().only("status").get(pk=self.loan.pk)
            if not locked.is_editable_draft:
                raise ActionConflict(
                    _("This request is %(status)s: it can no longer be edited.")
                    % {"status": locked.get_status_display().lower()}
                )
        loan = self.form.save()
        self.lots.save()
        self.permits.save()
        return loan


class SpecimenSearchForm(forms.Form):
    """Find specimens in the chosen collections by catalogue number (exact) or name prefix."""

    collection = forms.ModelMultipleChoiceField(
        queryset=Collection.objects.filter(accepts_loans=True),
        error_messages={"required": _("Tick the collection(s) to search in first.")},
    )
    q = forms.CharField(
        label=_("Catalogue number or scientific name"),
        min_length=2,
        max_length=100,
        error_messages={"required": _("Type a catalogue number or the start of a name.")},
    )
    chosen = IdListField(required=False, widget=forms.MultipleHiddenInput)

    def results(self) -> tuple[list[Specimen], bool]:
        """Up to ``SEARCH_LIMIT`` matches, and whether there were more."""
        q = self.cleaned_data["q"].strip()
        # The catalogue's one search (as the API's): index-served at millions of specimens.
        found = list(
            search_specimens(
                Specimen.objects.filter(
                    collection__in=self.cleaned_data["collection"]
                ).select_related("collection"),
                q=q,
            )[: SEARCH_LIMIT + 1]
        )
        return found[:SEARCH_LIMIT], len(found) > SEARCH_LIMIT


class ActionForm(forms.Form):
    """A timeline button: the action's own fields (from the workflow table) and a comment."""

    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, transition: Transition, *args: Any, **kwargs: Any) -> None:
        # Several action forms share the page: ids must not clash.
        kwargs.setdefault("auto_id", f"{transition.action}-%s")
        super().__init__(*args, **kwargs)
        self.transition = transition
        if transition.form is not None:
            own = transition.form().fields
            for field in own.values():
                if isinstance(field, forms.DateField):
                    field.widget = date_input()
            self.fields = {**own, **self.fields}

    def action_data(self) -> dict[str, Any]:
        """The raw values of the action's own fields: ``perform`` validates them itself."""
        own = self.transition.form.base_fields if self.transition.form else {}
        return {name: self.data.get(name, "") for name in own}


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


class LoanListFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *LoanStatus.choices],
    )
