"""Query filters of ``/api/v1/loan-requests/``: the shared request filters plus loan status and
overdue. Invalid values are a 400 naming the parameter, never an ignored filter."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from collections_app.api.filtersets import StableOrderingFilter, StrictBooleanFilter
from elvis.api.workflow import AccessRequestFilterSet
from loans.models import LoanRequest, LoanStatus


class LoanRequestFilterSet(AccessRequestFilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=LoanStatus.choices,
        help_text=_("Repeat for several: ?status=submitted&status=under_review."),
    )
    overdue = StrictBooleanFilter(
        method="filter_overdue", help_text=_("Due date passed while items are still out.")
    )
    ordering = StableOrderingFilter(
        fields=(
            "updated_at",
            "created_at",
            "submitted_at",
            "reference",
            "status",
            "requested_start",
            "due_date",
        )
    )

    class Meta:
        model = LoanRequest
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.overdue(value)
