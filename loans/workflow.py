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
from elvis.workflow.fields import ItemEntriesField
from elvis.workflow.table import CURATOR, REQUESTER, transition

from .models import ACTIVE_STATUSES, OUT_STATUSES, LoanItem, LoanRequest, LoanStatus
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
    due_date = forms.DateField(
        label=_("New due date"),
        help_text=_("When the requester asked for an extension, this answers it (any later date)."),
    )


class RequestExtensionForm(forms.Form):
    due_date = forms.DateField(label=_("Keep the specimens until"))
    reason = forms.CharField(
        label=_("Why you need them longer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeclineExtensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why not"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The requester reads it; the due date stays as it is."),
    )


class ReturnShipmentForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100)
    shipped_on = forms.DateField(label=_("Sent on"), required=False, validators=[_not_in_future])

    def clean_shipped_on(self) -> date:
        return self.cleaned_data.get("shipped_on") or timezone.localdate()


class ReturnItemsForm(forms.Form):
    items = ItemEntriesField(
        label=_("Items returned"),
        note_label=_("condition"),
        help_text=_(
            "Each item with its own condition note; of a lot, how many came back (left out: "
            "all that are outstanding)."
        ),
        error_messages={"required": _("Choose at least one item that came back.")},
    )
    returned_on = forms.DateField(
        label=_("Returned on"), required=False, validators=[_not_in_future]
    )
    # Kept for API clients that send item ids only: their note for those items. Not shown on
    # the HTML forms, where each item has its own note.
    condition = forms.CharField(
        label=_("Condition (items without their own note)"),
        max_length=255,
        required=False,
        widget=forms.HiddenInput,
        help_text=_("Deprecated: give each item its own note instead."),
    )

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


def _after_due_date(loan: LoanRequest, wanted: date) -> None:
    if loan.due_date and wanted <= loan.due_date:
        raise ValidationError(
            {"due_date": [_("The new due date must be after the current one (%(d)s).")
                          % {"d": loan.due_date.isoformat()}]}
        )  # fmt: skip


EXTENSION_FIELDS = ("extension_wanted_until", "extension_reason", "extension_asked_on")


def _close_extension_request(loan: LoanRequest, data: dict[str, Any]) -> None:
    """The pending ask is answered: the history row keeps what was asked (``data``)."""
    if loan.extension_wanted_until:
        data["asked_until"] = loan.extension_wanted_until
    loan.extension_wanted_until = loan.extension_asked_on = None
    loan.extension_reason = ""


def extension_already_asked(loan: LoanRequest) -> StrOrPromise | None:
    if loan.extension_wanted_until is None:
        return None
    return _("An extension until %(date)s is already asked for: the curators answer it first.") % {
        "date": loan.extension_wanted_until.isoformat()
    }


def no_extension_asked(loan: LoanRequest) -> StrOrPromise | None:
    return _("No extension is asked for.") if loan.extension_wanted_until is None else None


def request_extension(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    """The requester asks to keep the loan longer; the curators accept or decline it."""
    _after_due_date(loan, data["due_date"])
    loan.extension_wanted_until = data["due_date"]
    loan.extension_reason = data["reason"]
    loan.extension_asked_on = timezone.localdate()


def extend(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    """A later due date: the curators' own, or their answer to the requester's ask (to the
    date asked for or another)."""
    _after_due_date(loan, data["due_date"])
    loan.due_date = data["due_date"]
    _close_extension_request(loan, data)


def decline_extension(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    _close_extension_request(loan, data)


def record_return(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> None:
    """How the specimens travel back: the curators then know what to expect."""
    if loan.shipped_on and data["shipped_on"] < loan.shipped_on:
        raise ValidationError({"shipped_on": [_("This is before the shipment date.")]})
    loan.return_carrier = data["carrier"]
    loan.return_tracking_number = data["tracking_number"]
    loan.return_shipped_on = data["shipped_on"]


def return_items(loan: LoanRequest, actor: Any, data: dict[str, Any]) -> str:
    """Record what came back, item by item, each with its own condition note: a specimen, or
    all or part of a lot. An item is returned when all of it is back, the loan when every item
    is. Each entry's count is filled in (all outstanding when left out), so that the history
    row records exactly what came back."""
    outstanding = {item.pk: item for item in loan.items.outstanding().select_for_update()}
    entries = data["items"]
    unknown = [entry["item"] for entry in entries if entry["item"] not in outstanding]
    if unknown:
        raise ValidationError(
            {"items": [_("Not outstanding items of this loan: %(ids)s.")
                       % {"ids": ", ".join(map(str, unknown))}]}
        )  # fmt: skip
    too_many = [
        _("%(item)s — %(count)d outstanding, not %(given)d.")
        % {"item": item, "count": item.outstanding_count, "given": entry["count"]}
        for entry in entries
        if entry["count"]
        and entry["count"] > (item := outstanding[entry["item"]]).outstanding_count
    ]
    if too_many:
        raise ValidationError({"items": too_many})
    returned_on = data["returned_on"]
    if loan.shipped_on and returned_on < loan.shipped_on:
        raise ValidationError({"returned_on": [_("This is before the shipment date.")]})
    for entry in entries:
        item = outstanding[entry["item"]]
        entry["count"] = entry["count"] or item.outstanding_count
        entry["note"] = entry["note"] or data["condition"]
        item.returned_count += entry["count"]
        if entry["note"]:
            item.return_condition = "\n".join(filter(None, [item.return_condition, entry["note"]]))
        fields = ["returned_count", "return_condition"]
        if item.outstanding_count == 0:
            item.returned_on, item.received_by = returned_on, actor
            fields += ["returned_on", "received_by"]
            del outstanding[item.pk]
        item.save(update_fields=fields)
    back = [entry["item"] for entry in entries if entry["item"] not in outstanding]
    Specimen.objects.filter(loans_items__pk__in=back).update(
        is_available=True, updated_at=timezone.now()
    )
    if not outstanding:
        loan.returned_on = returned_on
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
        "request_extension", OUT_STATUSES, None, {REQUESTER}, event="extension_requested",
        label=_("Ask for an extension"), form=RequestExtensionForm, apply=request_extension,
        fields=EXTENSION_FIELDS, stays=True, blocked=extension_already_asked,
    ),
    transition(
        "extend", OUT_STATUSES, None, {CURATOR}, event="extended",
        label=_("Extend"), form=ExtendForm, apply=extend,
        fields=("due_date", *EXTENSION_FIELDS), stays=True,
    ),
    transition(
        "decline_extension", OUT_STATUSES, None, {CURATOR}, event="extension_declined",
        label=_("Decline the extension"), form=DeclineExtensionForm, apply=decline_extension,
        fields=EXTENSION_FIELDS, stays=True, blocked=no_extension_asked,
    ),
    transition(
        "record_return", OUT_STATUSES, None, {REQUESTER, CURATOR}, event="return_sent",
        label=_("Record the return shipment"), form=ReturnShipmentForm, apply=record_return,
        fields=("return_carrier", "return_tracking_number", "return_shipped_on"), stays=True,
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
