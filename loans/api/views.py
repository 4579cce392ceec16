"""``/api/v1/loan-requests/``: the shared request API (``elvis.api.workflow``) for loans."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Prefetch, QuerySet
from rest_framework import serializers

from elvis.api.workflow import AccessRequestViewSet
from loans.models import LoanItem, LoanRequest
from loans.workflow import IdListField

from .filtersets import LoanRequestFilterSet
from .serializers import LoanRequestSerializer


def _id_list(form_field: forms.Field, **kwargs: Any) -> serializers.ListField:
    """``return_items``' item ids: a JSON list of ids in the API."""
    return serializers.ListField(child=serializers.IntegerField(min_value=1), **kwargs)


class LoanRequestViewSet(AccessRequestViewSet):
    """Specimen loans: the researcher's request, its review, shipment, receipt and return.

    Every action of the loan workflow is ``POST /api/v1/loan-requests/<id>/<action>/``.
    """

    model = LoanRequest
    serializer_class = LoanRequestSerializer
    filterset_class = LoanRequestFilterSet
    transition_field_types = {IdListField: _id_list}

    def get_queryset(self) -> QuerySet:
        return (
            super()
            .get_queryset()
            .with_overdue()
            .prefetch_related(
                Prefetch("items", queryset=LoanItem.objects.select_related("specimen")),
                "permits",
            )
        )
