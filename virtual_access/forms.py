"""What the request form of a digitisation request adds to the core's: the outputs, metadata,
licence and where the data will be published (items are the core's specimen picker and
described lots)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from elvis.workflow.pages.editor import RequestEditor, RequestForm

from .models import DigitisationRequest

CONTENT_FIELDS = (
    "wants_images",
    "min_resolution_ppi",
    "wants_labels",
    "other_outputs",
    "metadata_wanted",
    "licence",
    "publish_to",
)


class DigitisationRequestForm(RequestForm):
    class Meta(RequestForm.Meta):
        model = DigitisationRequest
        fields = [*RequestForm.Meta.fields, *CONTENT_FIELDS]
        widgets = {
            **RequestForm.Meta.widgets,
            "other_outputs": forms.Textarea(attrs={"rows": 2}),
            "metadata_wanted": forms.Textarea(attrs={"rows": 2}),
            "licence": forms.RadioSelect,
        }
        help_texts = {
            "collections": _("Only collections that digitise on request are listed."),
            "purpose": _("What the images are for, and why these specimens."),
        }


class DigitisationRequestEditor(RequestEditor):
    form_class = DigitisationRequestForm

    @classmethod
    def timeline_context(
        cls, access_request: DigitisationRequest, *, history: list
    ) -> dict[str, Any]:
        from django.db.models import Count
        from django.utils import timezone

        from .downloads import has_package, link_days
        from .models import Capture, CaptureStatus

        items = list(access_request.items.all())
        package_ready = has_package(access_request)
        links = []
        if package_ready:
            links = list(
                access_request.download_links.select_related("created_by").annotate(
                    uses=Count("downloads")
                )
            )
            now = timezone.now()
            for link in links:
                link.expired = link.expires_at <= now
        return {
            "processed_count": sum(item.status == "processed" for item in items),
            "item_count": len(items),
            "package_ready": package_ready,
            "download_links": links,
            "link_days": link_days(),
            "has_images": Capture.objects.filter(
                item__request=access_request, status=CaptureStatus.PROCESSED
            ).exists(),
        }
