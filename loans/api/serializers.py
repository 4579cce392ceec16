"""A loan request as the API shows it, and the requester's draft as the API accepts it.

Items (the shared shape) and permits are written as nested lists that replace the stored ones;
everything the workflow writes (status, reference, shipping, due and return dates) is read-only.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from elvis.api.requests.serializers import AccessRequestSerializer, RequestItemSerializer
from loans.models import LoanItem, LoanRequest, Permit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LoanItemSerializer(RequestItemSerializer):
    class Meta:
        model = LoanItem
        fields = (
            *RequestItemSerializer.ITEM_FIELDS,
            "returned_on",
            "returned_count",
            "return_condition",
            "received_by",
        )
        read_only_fields = ("returned_on", "returned_count", "return_condition", "received_by")


class PermitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Permit
        fields = ("id", "type", "number", "issuing_authority", "valid_from", "valid_until")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("valid_from"), attrs.get("valid_until")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"valid_until": [_("The permit expires before it starts.")]}
            )
        return attrs


class LoanRequestSerializer(AccessRequestSerializer):
    """A specimen loan: what is asked, for when and where to, and its shipment and return."""

    replaced_lists = ("items", "permits")

    overdue = serializers.BooleanField(
        read_only=True, help_text=_("Due date passed while items are still out.")
    )
    items = LoanItemSerializer(many=True, required=False)
    permits = PermitSerializer(many=True, required=False)

    class Meta:
        model = LoanRequest
        fields = (
            *AccessRequestSerializer.COMMON_FIELDS,
            "requested_start",
            "requested_end",
            "borrower_institution",
            "shipping_address",
            "carrier",
            "tracking_number",
            "shipped_on",
            "due_date",
            "original_due_date",
            "received_on",
            "returned_on",
            "return_carrier",
            "return_tracking_number",
            "return_shipped_on",
            "extension_wanted_until",
            "extension_reason",
            "extension_asked_on",
            "overdue",
            "items",
            "permits",
            *AccessRequestSerializer.TRAIL_FIELDS,
        )

    def validate_requested_start(self, value: date | None) -> date | None:
        if value is not None and value < timezone.localdate():
            raise serializers.ValidationError(_("The loan cannot start in the past."))
        return value

    def kind_errors(self, attrs: dict[str, Any]) -> dict[str, list[StrOrPromise]]:
        start, end = self._value(attrs, "requested_start"), self._value(attrs, "requested_end")
        if start and end and end < start:
            return {"requested_end": [_("The end of the loan period is before its start.")]}
        return {}
