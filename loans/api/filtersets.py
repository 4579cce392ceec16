"""The loans' own query filters on ``/api/v1/loan-requests/``, next to the shared ones."""

from __future__ import annotations

from typing import cast

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from collections_app.api.filtersets import StrictBooleanFilter
from loans.models import LoanRequestQuerySet


class LoanFilters(django_filters.FilterSet):
    ORDERING_FIELDS = ("requested_start", "due_date")

    overdue = StrictBooleanFilter(
        method="filter_overdue", help_text=_("Due date passed while items are still out.")
    )

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return cast("LoanRequestQuerySet", queryset).overdue(value)
