"""What is digitisation's own in the curators' admin: the request's sections, per-item capture
state and the progress (x of n processed), the package. The queue, the read-only change page,
the action pages, the messages and the attachments are the shared ones."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from elvis.workflow.admin import AccessRequestAdmin, CollectionFilter

from .models import DigitisationRequest


class DigitisationRequestAdmin(AccessRequestAdmin):
    list_display = (*AccessRequestAdmin.list_display, "progress", "planned_delivery")
    list_filter = ("status", "package_status", CollectionFilter)
    summary_fields = ("progress",)
    kind_fieldsets = (
        (
            _("Outputs and licence"),
            {
                "fields": (
                    "wants_images",
                    "min_resolution_ppi",
                    "wants_labels",
                    "other_outputs",
                    "metadata_wanted",
                    "licence",
                    "publish_to",
                )
            },
        ),
        (
            _("Estimate and delivery"),
            {
                "fields": (
                    "cost_currency",
                    "cost_amount",
                    "staff_hours",
                    "planned_delivery",
                    "package_status",
                    "package_size",
                    "package_sha256",
                    "package_error",
                    "delivered_at",
                )
            },
        ),
    )

    @admin.display(description=_("processed"))
    def progress(self, request: DigitisationRequest) -> str:
        return _("%(done)d of %(total)d") % {
            "done": request.items_processed,
            "total": request.items_total,
        }
