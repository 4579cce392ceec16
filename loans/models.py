"""Specimen loans: the request, its items and permits, and their audit trail.

The loan's ``status`` and the dispatch/return fields are written by the workflow
(``loans.workflow``) through ``elvis.workflow.service.perform`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elvis.workflow import models as core
from elvis.workflow.kinds import Deadline
from elvis.workflow.table import status_choices

LoanStatus = status_choices(
    "LoanStatus",
    ("dispatched", _("Dispatched")),
    ("on_loan", _("On loan")),
    ("partially_returned", _("Partially returned")),
    ("returned", _("Returned")),
    ("closed", _("Closed")),
)


# Items are out of the collection in these states; overdue and availability depend on them.
OUT_STATUSES = (LoanStatus.DISPATCHED, LoanStatus.ON_LOAN, LoanStatus.PARTIALLY_RETURNED)
# A specimen promised or out in one of these cannot be promised to another loan.
ACTIVE_STATUSES = (LoanStatus.APPROVED, *OUT_STATUSES)
#: A loan is due back by its due date while its items are out; past it, it is overdue. The one
#: statement of that rule: the loan kind's work-queue deadline, the lists' ``overdue`` filter and
#: annotation, and ``LoanRequest.is_overdue``.
DUE_BACK = Deadline(field="due_date", statuses=frozenset(OUT_STATUSES))


class LoanRequestQuerySet(core.AccessRequestQuerySet):
    def with_overdue(self) -> LoanRequestQuerySet:
        """Annotate ``overdue``: due date passed while items are still out (derived, not stored)."""
        return self.annotate(
            overdue=Case(
                When(DUE_BACK.overdue(timezone.localdate()), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )

    def overdue(self, flag: bool = True) -> LoanRequestQuerySet:
        cond = DUE_BACK.overdue(timezone.localdate())
        return self.filter(cond) if flag else self.exclude(cond)


class LoanRequest(core.AccessRequest):
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=LoanStatus.choices,
        default=LoanStatus.DRAFT,
        editable=False,
        db_index=True,
    )
    # Null only while a draft (``elvis.workflow.completeness``): a submission needs both.
    requested_start = models.DateField(_("loan wanted from"), null=True)
    requested_end = models.DateField(_("loan wanted until"), null=True)
    borrower_institution = models.CharField(
        _("borrowing institution"),
        max_length=255,
        help_text=_("Loans go to institutions, not to private addresses."),
    )
    shipping_address = models.TextField(_("shipping address"))

    carrier = models.CharField(_("carrier"), max_length=100, blank=True, editable=False)
    tracking_number = models.CharField(
        _("tracking number"), max_length=100, blank=True, editable=False
    )
    shipped_on = models.DateField(_("shipped on"), null=True, blank=True, editable=False)
    due_date = models.DateField(_("due date"), null=True, blank=True, editable=False)
    original_due_date = models.DateField(
        _("original due date"), null=True, blank=True, editable=False
    )
    received_on = models.DateField(_("received on"), null=True, blank=True, editable=False)
    returned_on = models.DateField(_("fully returned on"), null=True, blank=True, editable=False)

    # The requester's pending ask for a later due date (``request_extension``), until the
    # curators accept it (``extend``) or decline it: one at a time; the history keeps them all.
    extension_wanted_until = models.DateField(
        _("extension asked until"), null=True, blank=True, editable=False
    )
    extension_reason = models.TextField(_("reason for the extension"), blank=True, editable=False)
    extension_asked_on = models.DateField(
        _("extension asked on"), null=True, blank=True, editable=False
    )

    # The return shipment, as the requester (or a curator) records it (``record_return``).
    return_carrier = models.CharField(
        _("return carrier"), max_length=100, blank=True, editable=False
    )
    return_tracking_number = models.CharField(
        _("return tracking number"), max_length=100, blank=True, editable=False
    )
    return_shipped_on = models.DateField(
        _("return shipped on"), null=True, blank=True, editable=False
    )

    # The kind's own manager over the abstract base's (django-stubs sees a class variable
    # overridden by an instance variable).
    objects = LoanRequestQuerySet.as_manager()  # type: ignore[misc]

    class Meta(core.AccessRequest.Meta):
        verbose_name = _("loan request")
        verbose_name_plural = _("loan requests")
        indexes = [
            *core.AccessRequest.Meta.indexes,
            models.Index(fields=["status", "due_date"], name="loan_due_idx"),
        ]

    @property
    def is_overdue(self) -> bool:
        return DUE_BACK.is_overdue(self, timezone.localdate())

    @property
    def returned_late(self) -> bool:
        """Everything came back, after the due date then in force (extensions are granted only
        while the loan is out, so ``due_date`` is the one the borrower had to meet)."""
        return bool(self.returned_on and self.due_date and self.returned_on > self.due_date)

    @property
    def extension_pending(self) -> bool:
        return self.extension_wanted_until is not None


class LoanRequestCollection(core.RequestCollection):
    """A collection the loan request asks for (protected: see ``core.RequestCollection``)."""

    # The former automatic many-to-many table, kept with its rows (a state-only migration).
    request = models.ForeignKey(
        LoanRequest, on_delete=models.CASCADE, related_name="+", db_column="loanrequest_id"
    )

    class Meta(core.RequestCollection.Meta):
        db_table = "loans_loanrequest_collections"
        verbose_name = _("loan request")
        verbose_name_plural = _("loan requests")


class LoanItemQuerySet(core.RequestItemQuerySet):
    def outstanding(self) -> LoanItemQuerySet:
        """Items still out: not yet returned."""
        return self.filter(returned_on__isnull=True)


class LoanItem(core.RequestItem):
    """A specimen or a described lot on loan, and when and how it came back."""

    loan = models.ForeignKey(
        LoanRequest, on_delete=models.CASCADE, related_name="items", verbose_name=_("loan")
    )
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    returned_count = models.PositiveIntegerField(
        _("returned"), default=0, help_text=_("How many of the item are back (of a lot: some).")
    )
    # Each return's note on this item only, one line per return (a lot may come back in parts).
    return_condition = models.TextField(_("condition on return"), blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )

    objects = LoanItemQuerySet.as_manager()  # type: ignore[misc]  # as LoanRequest's

    class Meta(core.RequestItem.Meta):
        verbose_name = _("loan item")
        verbose_name_plural = _("loan items")
        constraints = [
            *core.RequestItem.Meta.constraints,
            models.UniqueConstraint(
                fields=["loan", "specimen"],
                condition=Q(specimen__isnull=False),
                name="loan_item_specimen_once",
            ),
            models.CheckConstraint(
                condition=Q(returned_count__lte=models.F("quantity")),
                name="loan_item_returned_at_most_all",
            ),
        ]

    @property
    def is_returned(self) -> bool:
        return self.returned_on is not None

    @property
    def outstanding_count(self) -> int:
        """How many of the item are still out: a lot comes back in parts."""
        return self.quantity - self.returned_count


class Permit(models.Model):
    class Type(models.TextChoices):
        CITES = "cites", _("CITES")
        NAGOYA = "nagoya_abs", _("Nagoya / ABS")
        EXPORT = "export", _("Export permit")
        IMPORT = "import", _("Import permit")
        COLLECTING = "collecting", _("Collecting permit")
        OTHER = "other", _("Other")

    loan = models.ForeignKey(
        LoanRequest, on_delete=models.CASCADE, related_name="permits", verbose_name=_("loan")
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    number = models.CharField(_("number"), max_length=100)
    issuing_authority = models.CharField(_("issuing authority"), max_length=255)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    document = models.ForeignKey(
        "loans.LoanAttachment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="permit_validity_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.number}"


class LoanHistory(core.HistoryEntry):
    request = models.ForeignKey(
        LoanRequest, on_delete=models.CASCADE, related_name="history", verbose_name=_("loan")
    )

    class Meta(core.HistoryEntry.Meta):
        verbose_name = _("loan history entry")
        verbose_name_plural = _("loan history")


class LoanComment(core.Comment):
    request = models.ForeignKey(
        LoanRequest, on_delete=models.CASCADE, related_name="comments", verbose_name=_("loan")
    )


class LoanAttachment(core.Attachment):
    request = models.ForeignKey(
        LoanRequest, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("loan")
    )
