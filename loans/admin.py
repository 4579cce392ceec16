"""What is the loans' own in the curators' admin: the loan's sections, the overdue column and
filter, and the permits. The queue, the read-only change page, the action pages, the messages
and the attachments are the shared ones (``elvis.workflow.admin``); ``loans.kind`` names
``LoanRequestAdmin`` as the kind's admin, and the core registers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from elvis.workflow.admin import AccessRequestAdmin, CollectionFilter, ReadOnlyInline

from .models import LoanRequest, LoanRequestQuerySet, Permit
from .outcome import outcome_warning

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations

    class Overdue(TypedDict):
        overdue: bool  # LoanRequestQuerySet.with_overdue


class YesNoFilter(admin.SimpleListFilter):
    """A filter with two choices, "yes" and "no"; anything else is a bad lookup (Django's
    "incorrect lookup" redirect), not an empty page."""

    yes_label: StrOrPromise
    no_label: StrOrPromise

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, StrOrPromise]]:
        return [("yes", self.yes_label), ("no", self.no_label)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value not in ("yes", "no"):
            raise IncorrectLookupParameters(value)
        return self.filter(cast("LoanRequestQuerySet", queryset), value == "yes")

    def filter(self, loans: LoanRequestQuerySet, yes: bool) -> QuerySet:
        raise NotImplementedError


class OverdueFilter(YesNoFilter):
    title = _("overdue")
    parameter_name = "overdue"
    yes_label, no_label = _("Overdue"), _("Not overdue")

    def filter(self, loans: LoanRequestQuerySet, yes: bool) -> QuerySet:
        return loans.overdue(yes)


class ExtensionAskedFilter(YesNoFilter):
    """The loans whose requester waits for an answer to their ask for an extension."""

    title = _("extension asked")
    parameter_name = "extension_asked"
    yes_label, no_label = _("Extension asked"), _("None asked")

    def filter(self, loans: LoanRequestQuerySet, yes: bool) -> QuerySet:
        return loans.filter(extension_wanted_until__isnull=not yes)


class PermitInline(ReadOnlyInline):
    model = Permit
    fields = ("type", "number", "issuing_authority", "valid_from", "valid_until", "document_link")
    related = ("document",)

    @admin.display(description=_("document"))
    def document_link(self, permit: Permit) -> str:
        return self.download(permit.document)


class LoanRequestAdmin(AccessRequestAdmin):
    list_display = (
        *AccessRequestAdmin.list_display,
        "due_date",
        "overdue_flag",
        "extension_wanted_until",
    )
    list_filter = ("status", OverdueFilter, ExtensionAskedFilter, CollectionFilter)
    summary_fields = ("overdue_flag",)
    kind_fieldsets = (
        (
            _("Period and shipping"),
            {
                "fields": (
                    "requested_start",
                    "requested_end",
                    "borrower_institution",
                    "shipping_address",
                )
            },
        ),
        (
            _("Dispatch and return"),
            {
                "fields": (
                    "carrier",
                    "tracking_number",
                    "shipped_on",
                    "due_date",
                    "original_due_date",
                    "received_on",
                    "returned_on",
                )
            },
        ),
        (
            _("Extension asked for"),
            {"fields": ("extension_wanted_until", "extension_reason", "extension_asked_on")},
        ),
        (
            _("Return shipment"),
            {"fields": ("return_carrier", "return_tracking_number", "return_shipped_on")},
        ),
    )
    kind_inlines = (PermitInline,)

    @admin.display(description=_("overdue"), ordering="overdue")
    def overdue_flag(self, loan: WithAnnotations[LoanRequest, Overdue]) -> str:
        """Said of a loan out past its due date only: a red "no" icon on every other loan (one
        never dispatched among them) read as an alarm."""
        return str(outcome_warning(loan)) if loan.overdue else "—"
