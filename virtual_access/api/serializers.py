"""A digitisation request as the API shows it, and the requester's draft as the API accepts it.

Items (the shared shape, plus their imaging state) are written as a nested list that replaces
the stored one; what the workflow and the pipeline write (the estimate, the package, each
item's state) is read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from elvis.api.requests.serializers import AccessRequestSerializer, RequestItemSerializer
from virtual_access.models import Capture, DigitisationItem, DigitisationRequest

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from virtual_access.admin import Progress


class DigitisationItemSerializer(RequestItemSerializer):
    class Meta:
        model = DigitisationItem
        fields = (
            *RequestItemSerializer.ITEM_FIELDS,
            "status",
            "failure_reason",
            "mids_level",
        )
        read_only_fields = ("status", "failure_reason", "mids_level")


class DigitisationRequestSerializer(AccessRequestSerializer):
    """Digitisation on demand: what to image, as what, under which licence, and its delivery."""

    items = DigitisationItemSerializer(many=True, required=False)
    progress = serializers.SerializerMethodField(help_text=_("Items processed out of all items."))

    class Meta:
        model = DigitisationRequest
        fields = (
            *AccessRequestSerializer.COMMON_FIELDS,
            "wants_images",
            "min_resolution_ppi",
            "wants_labels",
            "other_outputs",
            "metadata_wanted",
            "licence",
            "publish_to",
            "cost_currency",
            "cost_amount",
            "staff_hours",
            "planned_delivery",
            "delivered_at",
            "package_status",
            "package_size",
            "package_sha256",
            "progress",
            "items",
            *AccessRequestSerializer.TRAIL_FIELDS,
        )

    def get_progress(self, request: DigitisationRequest) -> dict[str, int]:
        # Annotated by the kind's queryset (``kind.with_progress``), list and detail alike.
        counted = cast("WithAnnotations[DigitisationRequest, Progress]", request)
        return {"processed": counted.items_processed, "total": counted.items_total}


class CaptureSerializer(serializers.ModelSerializer):
    """A capture and what processing found in it (read-only: the pipeline writes it)."""

    uploaded_by = serializers.SerializerMethodField()

    class Meta:
        model = Capture
        fields = (
            "id",
            "item",
            "original_name",
            "size",
            "uploaded_by",
            "created_at",
            "status",
            "error",
            "processed_at",
            "sha256",
            "format",
            "media_type",
            "width",
            "height",
            "colour_space",
            "dpi",
            "exif",
            "colours",
            "hue",
            "lightness",
        )
        read_only_fields = fields

    def get_uploaded_by(self, capture: Capture) -> int:
        return capture.uploaded_by_id


class CaptureUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("The master image (JPEG, PNG, TIFF, WebP or JPEG 2000), as the camera or "
                    "scanner made it.")
    )  # fmt: skip
