"""The visits' own query filters on ``/api/v1/visit-requests/``, next to the shared ones."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _


class VisitFilters(django_filters.FilterSet):
    ORDERING_FIELDS = ("proposed_start", "confirmed_start")

    starts_after = django_filters.DateFilter(
        field_name="confirmed_start",
        lookup_expr="gte",
        help_text=_("Confirmed to start on or after."),
    )
    starts_before = django_filters.DateFilter(
        field_name="confirmed_start",
        lookup_expr="lte",
        help_text=_("Confirmed to start on or before."),
    )
    facility = django_filters.NumberFilter(
        field_name="facility_requests__facility",
        help_text=_("Asks for this facility (its id)."),
        distinct=True,
    )
