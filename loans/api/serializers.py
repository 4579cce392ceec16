"""A loan request as the API shows it, and the requester's draft as the API accepts it.

Items and permits are written as nested lists that replace the stored ones; everything the
workflow writes (status, reference, shipping, due and return dates) is read-only here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from collections_app.models import Specimen
from elvis.api.workflow import AccessRequestSerializer, SummaryRelatedField
from loans.models import LoanItem, LoanRequest, Permit

MAX_QUANTITY = 2**31 - 1


class SpecimenSummarySerializer(serializers.ModelSerializer):
    collection_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Specimen
        fields = ("id", "catalog_number", "scientific_name", "collection_id")
        read_only_fields = fields


class LoanItemSerializer(serializers.ModelSerializer):
    """``{"specimen": id}`` for a catalogued specimen, or ``{"description", "quantity"}``."""

    specimen = SummaryRelatedField(
        summary=SpecimenSummarySerializer,
        queryset=Specimen.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A specimen of one of the chosen collections (its id when writing)."),
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, required=False, help_text=_("Count of a lot.")
    )

    class Meta:
        model = LoanItem
        fields = (
            "id",
            "specimen",
            "description",
            "quantity",
            "returned_on",
            "return_condition",
            "received_by",
        )
        read_only_fields = ("returned_on", "return_condition", "received_by")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        specimen, description = attrs.get("specimen"), attrs.get("description", "")
        if specimen and description:
            raise serializers.ValidationError(
                {"description": [_("Give either a specimen or a described lot, not both.")]}
            )
        if not specimen and not description:
            raise serializers.ValidationError(
                {"specimen": [_("Choose a specimen or describe the lot.")]}
            )
        if specimen and attrs.get("quantity", 1) != 1:
            raise serializers.ValidationError(
                {"quantity": [_("A catalogued specimen is one object.")]}
            )
        return attrs


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
    accepts_flag = "accepts_loans"

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
            "overdue",
            "items",
            "permits",
            *AccessRequestSerializer.TRAIL_FIELDS,
        )

    def validate_requested_start(self, value: date) -> date:
        if value < timezone.localdate():
            raise serializers.ValidationError(_("The loan cannot start in the past."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        errors: dict[str, Any] = {}
        start, end = self._value(attrs, "requested_start"), self._value(attrs, "requested_end")
        if start and end and end < start:
            errors["requested_end"] = [_("The end of the loan period is before its start.")]
        if "items" in attrs or "collections" in attrs:
            item_errors = self._item_errors(attrs)
            if item_errors:
                errors["items"] = item_errors
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def _item_errors(self, attrs: dict[str, Any]) -> dict[int, dict[str, list[str]]]:
        """Specimens outside the chosen collections or listed twice, keyed by the item's
        position as DRF reports nested list errors."""
        stored = self.instance
        items = attrs.get("items")
        if items is None and stored is not None:
            items = [{"specimen": i.specimen} for i in stored.items.select_related("specimen")]
        collections = attrs.get("collections")
        if collections is None:
            collections = stored.collections.all() if stored else []
        collection_ids = {collection.pk for collection in collections}
        seen: set[int] = set()
        errors: dict[int, dict[str, list[str]]] = {}
        for index, item in enumerate(items or ()):
            specimen = item.get("specimen")
            if specimen is None:
                continue
            if specimen.collection_id not in collection_ids:
                problem = _("%(number)s is not in the chosen collections.")
            elif specimen.pk in seen:
                problem = _("%(number)s is listed more than once.")
            else:
                problem = None
            seen.add(specimen.pk)
            if problem:
                errors[index] = {"specimen": [problem % {"number": specimen.catalog_number}]}
        return errors

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> LoanRequest:
        items = validated_data.pop("items", [])
        permits = validated_data.pop("permits", [])
        loan = super().create(validated_data)
        self._replace(loan, items=items, permits=permits)
        return loan

    @transaction.atomic
    def update(self, instance: LoanRequest, validated_data: dict[str, Any]) -> LoanRequest:
        items = validated_data.pop("items", None)
        permits = validated_data.pop("permits", None)
        loan = super().update(instance, validated_data)
        self._replace(loan, items=items, permits=permits)
        return loan

    @staticmethod
    def _replace(
        loan: LoanRequest,
        *,
        items: list[dict[str, Any]] | None,
        permits: list[dict[str, Any]] | None,
    ) -> None:
        """Replace the lists that were sent (a draft's items are not referenced elsewhere yet)."""
        if items is not None:
            loan.items.all().delete()
            LoanItem.objects.bulk_create(LoanItem(loan=loan, **item) for item in items)
        if permits is not None:
            loan.permits.all().delete()
            Permit.objects.bulk_create(Permit(loan=loan, **permit) for permit in permits)
