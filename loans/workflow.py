"""The loan's transition table: the common actions plus shipping, receipt, extension and return.

Each action's input is validated by its form (shared by API, admin and pages); its ``apply``
makes the loan's own changes on the locked row inside ``perform``'s transaction.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from collections_app.models import Specimen
from elvis.workflow.common import COMMON
from elvis.workflow.errors import ActionConflict
from elvis.workflow.fields import ItemIdsField
from elvis.workflow.table import CURATOR, REQUESTER, transition

from .models import ACTIVE_STATUSES, LoanItem, LoanRequest, LoanStatus
from .policy import period_errors, permit_errors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _not_in_future(value: date | None) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."))


class DispatchForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)
    shipped_on = forms.DateField(label=_("Shipped on"), required=False, validators=[_not_in_future])
    due_date = forms.DateField(label=_("Due date"))

    def clean_shipped_on(self) -> date:
        return self.cleaned_data.get("shipped_on") or timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        due, shipped = data.get("due_date"), data.get("shipped_on")
        if due and due <= timezone.localdate():
            self.add_error("due_date", _("The due date must be in the future."))
        elif due and shipped and due <= shipped:
            self.add_error("due_date", _("The due date must be after the shipment date."))
        return data


class ConfirmReceiptForm(forms.Form):
    received_on = forms.DateField(
        label=_("Received on"), required=False, validators=[_not_in_future]
    )

    def clean_received_on(self) -> date:
        return self.cleaned_data.get("received_on") or timezone.localdate()


class ExtendForm(forms.Form):
    due_date = forms.DateField(label=_("New due date"))


class ReturnItemsForm(forms.Form):
    items = ItemIdsField(
        label=_("Items returned"),
        error_messages={"required": _("Choose at least one item that came back.")},
    )
    returned_on = forms.DateField(
        label=_("Returned on"), required=False, validators=[_not_in_future]
    )
    condition = forms.CharField(label=_("Condition"), max_length=255, required=False)

    def clean_returned_on(self) -> date:
        return self.cleaned_data.get("returned_on") or timezone.localdate()


def check_complete(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    """A loan can be submitted only when it says what, when, where to, and from which collection,
    within the collections' terms (``policy``)."""
    errors: dict[str, list[StrOrPromise]] = {}
    items = list(loan.items.select_related("specimen"))
    collections = list(loan.collections.all())
    collection_ids = {collection.pk for collection in collections}
    if not items:
        errors["items"] = [_("Add at least one specimen or described lot.")]
    if not collection_ids:
        errors["collections"] = [_("Choose the collection(s) you want to borrow from.")]
    foreign = [
        item.specimen.catalog_number
        for item in items
        if item.specimen and item.specimen.collection_id not in collection_ids
    ]
    if foreign:
        errors.setdefault("items", []).append(
            _("Not in the chosen collections: %(numbers)s.") % {"numbers": ", ".join(foreign)}
        )
    start, end = loan.requested_start, loan.requested_end
    if start is not None and end is not None and end < start:
        errors["requested_end"] = [_("The end of the loan period is before its start.")]
    else:
        errors.update(period_errors(collections, start, end))
    errors.update(permit_errors(collections, loan.permits.all()))
    if errors:
        raise ValidationError(errors)


def reserve_specimens(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    """Approval promises the specimens: none may be promised or out on another loan.

    The specimen rows are locked (in id order, so concurrent approvals cannot deadlock) before
    checking, so two loans sharing a specimen cannot both be approved.
    """
    specimen_ids = list(
        loan.items.filter(specimen__isnull=False).values_list("specimen_id", flat=True)
    )
    if not specimen_ids:
        return
    list(Specimen.objects.select_for_update().filter(pk__in=specimen_ids).order_by("pk"))
    clashes = (
        LoanItem.objects.outstanding()
        .filter(specimen_id__in=specimen_ids, loan__status__in=ACTIVE_STATUSES)
        .exclude(loan=loan)
        .select_related("specimen", "loan")
    )
    taken = sorted({f"{i.specimen.catalog_number} ({i.loan.reference})" for i in clashes})
    unavailable = Specimen.objects.filter(pk__in=specimen_ids, is_available=False)
    taken += sorted({s.catalog_number for s in unavailable} - {t.split(" ")[0] for t in taken})
    if taken:
        raise ActionConflict(
            ngettext(
                "This specimen is not available: %(list)s.",
                "These specimens are not available: %(list)s.",
                len(taken),
            )
            % {"list": ", ".join(taken)}
        )


def dispatch(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    loan.carrier = data["carrier"]
    loan.tracking_number = data["tracking_number"]
    loan.shipped_on = data["shipped_on"]
    loan.due_date = data["due_date"]
    loan.original_due_date = data["due_date"]
    Specimen.objects.filter(loans_items__loan=loan).update(
        is_available=False, updated_at=timezone.now()
    )


def confirm_receipt(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    if loan.shipped_on and data["received_on"] < loan.shipped_on:
        raise ValidationError({"received_on": [_("This is before the shipment date.")]})
    loan.received_on = data["received_on"]


def extend(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    if loan.due_date and data["due_date"] <= loan.due_date:
        raise ValidationError(
            {"due_date": [_("The new due date must be after the current one (%(d)s).")
                          % {"d": loan.due_date.isoformat()}]}
        )  # fmt: skip
    loan.due_date = data["due_date"]


def return_items(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> str:
    """Record which items came back; the loan is returned when none is still out."""
    outstanding = {item.pk: item for item in loan.items.outstanding()}
    unknown = [pk for pk in data["items"] if pk not in outstanding]
    if unknown:
        raise ValidationError(
            {"items": [_("Not outstanding items of this loan: %(ids)s.")
                       % {"ids": ", ".join(map(str, unknown))}]}
        )  # fmt: skip
    if loan.shipped_on and data["returned_on"] < loan.shipped_on:
        raise ValidationError({"returned_on": [_("This is before the shipment date.")]})
    LoanItem.objects.filter(pk__in=data["items"]).update(
        returned_on=data["returned_on"], return_condition=data["condition"], received_by=actor
    )
    Specimen.objects.filter(loans_items__pk__in=data["items"]).update(
        is_available=True, updated_at=timezone.now()
    )
    if len(data["items"]) == len(outstanding):
        loan.returned_on = data["returned_on"]
        return LoanStatus.RETURNED
    return LoanStatus.PARTIALLY_RETURNED


S = LoanStatus
LOAN_WORKFLOW = COMMON.extend(
    "loan",
    COMMON.replace("submit", apply=check_complete),
    COMMON.replace("approve", apply=reserve_specimens),
    transition(
        "dispatch", {S.APPROVED}, S.DISPATCHED, {CURATOR}, event="dispatched",
        label=_("Dispatch"), form=DispatchForm, apply=dispatch,
        fields=("carrier", "tracking_number", "shipped_on", "due_date", "original_due_date"),
    ),
    transition(
        "confirm_receipt", {S.DISPATCHED}, S.ON_LOAN, {REQUESTER}, event="received",
        label=_("Confirm receipt"), form=ConfirmReceiptForm, apply=confirm_receipt,
        fields=("received_on",),
    ),
    transition(
        "extend", {S.ON_LOAN}, S.ON_LOAN, {CURATOR}, event="extended",
        label=_("Extend"), form=ExtendForm, apply=extend, fields=("due_date",),
    ),
    transition(
        "return_items", {S.ON_LOAN, S.PARTIALLY_RETURNED}, None, {CURATOR},
        event="items_returned", label=_("Record returned items"), form=ReturnItemsForm,
        apply=return_items, fields=("returned_on",),
    ),
    transition(
        "close", {S.RETURNED}, S.CLOSED, {CURATOR}, event="closed", label=_("Close"),
    ),
)  # fmt: skip
