"""The digitisation request's transition table: the common actions, approval with its cost
estimate that starts the pipeline, retrying failed items, building the package, the system's
delivery and the requester's acknowledgement.

Each action's input is validated by its form (shared by API, admin and pages); its ``apply``
makes the request's own changes on the locked row inside ``perform``'s transaction.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elvis.workflow.common import COMMON
from elvis.workflow.errors import ActionConflict
from elvis.workflow.fields import ItemIdsField
from elvis.workflow.table import CURATOR, REQUESTER, SYSTEM, transition

from .models import (
    CaptureStatus,
    DigitisationRequest,
    DigitisationStatus,
    ItemStatus,
    PackageStatus,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ApproveForm(forms.Form):
    cost_currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use the ISO 4217 code, e.g. EUR or GBP."))],
    )
    cost_amount = forms.DecimalField(
        label=_("Cost estimate"), max_digits=12, decimal_places=2, min_value=Decimal(0)
    )
    staff_hours = forms.DecimalField(
        label=_("Staff hours"), max_digits=7, decimal_places=1, min_value=Decimal(0)
    )
    planned_delivery = forms.DateField(label=_("Planned delivery"))

    def clean_planned_delivery(self):
        day = self.cleaned_data["planned_delivery"]
        if day < timezone.localdate():
            raise ValidationError(_("The planned delivery cannot be in the past."))
        return day


class RetryForm(forms.Form):
    items = ItemIdsField(
        label=_("Items to process again"),
        error_messages={"required": _("Choose at least one failed item.")},
    )


def check_complete(request: DigitisationRequest, actor: Any, data: dict[str, Any]) -> None:
    """Submitted only when it says what to image, from which collections, and as what."""
    errors: dict[str, list[StrOrPromise]] = {}
    items = list(request.items.select_related("specimen"))
    collection_ids = set(request.collections.values_list("pk", flat=True))
    if not items:
        errors["items"] = [_("Add at least one specimen or described lot to digitise.")]
    if not collection_ids:
        errors["collections"] = [_("Choose the collection(s) the specimens are in.")]
    foreign = [
        item.specimen.catalog_number
        for item in items
        if item.specimen and item.specimen.collection_id not in collection_ids
    ]
    if foreign:
        errors.setdefault("items", []).append(
            _("Not in the chosen collections: %(numbers)s.") % {"numbers": ", ".join(foreign)}
        )
    if not (request.wants_images or request.wants_labels or request.other_outputs.strip()):
        errors["wants_images"] = [_("Say what you need: 2D images, labels or other outputs.")]
    if errors:
        raise ValidationError(errors)


def approve(request: DigitisationRequest, actor: Any, data: dict[str, Any]) -> None:
    """Record the estimate and the planned delivery; the pipeline then waits for captures."""
    if not request.items.exists():
        raise ActionConflict(_("This request has no items to digitise."))
    request.cost_currency = data["cost_currency"]
    request.cost_amount = data["cost_amount"]
    request.staff_hours = data["staff_hours"]
    request.planned_delivery = data["planned_delivery"]


def retry(request: DigitisationRequest, actor: Any, data: dict[str, Any]) -> None:
    """Process the failed items' refused captures again (after, say, a fixed file)."""
    failed = set(request.items.filter(status=ItemStatus.FAILED).values_list("pk", flat=True))
    unknown = [pk for pk in data["items"] if pk not in failed]
    if unknown:
        raise ValidationError(
            {"items": [_("Not failed items of this request: %(ids)s.")
                       % {"ids": ", ".join(map(str, unknown))}]}
        )  # fmt: skip
    from .pipeline import retry_items

    retry_items(request, data["items"])


def build_package(request: DigitisationRequest, actor: Any, data: dict[str, Any]) -> None:
    """Start (again) the package build; refused while an item is not processed."""
    from .pipeline import request_package

    waiting = request.items.exclude(status=ItemStatus.PROCESSED)
    if waiting.exists():
        failed = waiting.filter(status=ItemStatus.FAILED).count()
        raise ActionConflict(
            _("%(n)d item(s) are not processed yet (%(failed)d failed): retry or capture them "
              "first.") % {"n": waiting.count(), "failed": failed}
        )  # fmt: skip
    if request.package_status == PackageStatus.BUILDING:
        raise ActionConflict(_("The package is being built."))
    request_package(request, wait=False)


def deliver(request: DigitisationRequest, actor: Any, data: dict[str, Any]) -> None:
    """The pipeline's last step: the package is built from every processed item."""
    if request.package_status != PackageStatus.BUILT:
        raise ActionConflict(_("The package is not built."))
    request.delivered_at = timezone.now()


def stop_pipeline(request: DigitisationRequest, actor: Any, data: dict[str, Any]) -> None:
    """Cancelling or withdrawing stops the processing of what is still waiting."""
    from .models import Capture

    Capture.objects.filter(item__request=request, status=CaptureStatus.PENDING).update(
        status=CaptureStatus.FAILED, error=str(_("The request was stopped."))
    )


S = DigitisationStatus
IN_PROGRESS = S.IN_PROGRESS
DIGITISATION_WORKFLOW = COMMON.extend(
    "digitisation",
    COMMON.replace("submit", apply=check_complete),
    COMMON.replace(
        "approve", target=IN_PROGRESS, form=ApproveForm, apply=approve,
        fields=("cost_currency", "cost_amount", "staff_hours", "planned_delivery"),
    ),
    COMMON.replace(
        "withdraw",
        sources={*COMMON.transitions["withdraw"].sources, IN_PROGRESS},
        apply=stop_pipeline,
    ),
    COMMON.replace(
        "cancel", sources={S.APPROVED, IN_PROGRESS}, apply=stop_pipeline,
    ),
    transition(
        "retry_items", {IN_PROGRESS}, IN_PROGRESS, {CURATOR}, event="items_retried",
        label=_("Retry failed items"), form=RetryForm, apply=retry,
    ),
    transition(
        "build_package", {IN_PROGRESS}, IN_PROGRESS, {CURATOR}, event="package_requested",
        label=_("Build the package"), apply=build_package, fields=("package_status",),
    ),
    transition(
        "deliver", {IN_PROGRESS}, S.DELIVERED, {SYSTEM}, event="delivered",
        label=_("Deliver"), apply=deliver, fields=("delivered_at",),
    ),
    transition(
        "close", {S.DELIVERED}, S.CLOSED, {REQUESTER}, event="closed",
        label=_("Acknowledge receipt"),
    ),
)  # fmt: skip
