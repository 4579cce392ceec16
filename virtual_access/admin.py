"""What is digitisation's own in the curators' admin: the request's sections, per-item capture
state and the progress (x of n processed), the package, and the upload of captures (several
files at once, for one item). The queue, the read-only change page, the action pages, the
messages and the attachments are the shared ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from elvis.workflow.admin import AccessRequestAdmin, CollectionFilter, error_text
from elvis.workflow.errors import ActionForbidden, WorkflowError

from .captures import check_may_add, max_upload_bytes, store_capture
from .models import Capture, DigitisationRequest, ItemStatus

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class Progress(TypedDict):
        """``virtual_access.kind.with_progress``."""

        items_processed: int
        items_total: int


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
    def progress(self, request: WithAnnotations[DigitisationRequest, Progress]) -> str:
        return _("%(done)d of %(total)d") % {
            "done": request.items_processed,
            "total": request.items_total,
        }

    # -- captures: the per-item table and the upload -------------------------------------------

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/captures/",
                view(require_POST(self.captures_view)),
                name=self.url_name("captures"),
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request: HttpRequest, context: dict, *args: Any, obj=None, **kw):
        if obj is not None:
            captures = Capture.objects.select_related("uploaded_by").order_by("pk")
            items = list(
                obj.items.select_related("specimen").prefetch_related(
                    Prefetch("captures", queryset=captures)
                )
            )
            context["capture_items"] = items
            context["capture_progress"] = {
                "done": sum(item.status == ItemStatus.PROCESSED for item in items),
                "total": len(items),
            }
            try:
                check_may_add(obj, request.user)
            except WorkflowError:
                pass
            else:
                context["capture_upload_url"] = self.admin_url("captures", obj.pk)
                context["capture_max_bytes"] = max_upload_bytes()
        return super().render_change_form(request, context, *args, obj=obj, **kw)

    def captures_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Store the files chosen for one item as its captures; they are processed after."""
        obj = self.get_object(request, str(object_id))
        back = HttpResponseRedirect(self.admin_url("change", obj.pk) + "#captures")
        item = get_object_or_404(obj.items, pk=request.POST.get("item") or 0)
        files = request.FILES.getlist("files")
        if not files:
            self.message_user(request, _("Choose one or more files."), messages.ERROR)
            return back
        stored = 0
        for upload in files:
            try:
                store_capture(item, upload, uploaded_by=request.user, name=cast(str, upload.name))
            except ActionForbidden as error:
                raise PermissionDenied(error.message) from error
            except WorkflowError as error:  # no longer in progress
                self.message_user(request, error.message, messages.ERROR)
                return back
            except ValidationError as error:
                self.message_user(request, f"{upload.name}: {error_text(error)}", messages.ERROR)
            else:
                stored += 1
        if stored:
            self.message_user(
                request,
                ngettext(
                    "%(n)d capture of %(item)s stored; it is being processed.",
                    "%(n)d captures of %(item)s stored; they are being processed.",
                    stored,
                )
                % {"n": stored, "item": item},
                messages.SUCCESS,
            )
        return back
