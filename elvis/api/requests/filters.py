"""Query filters every request kind offers. Invalid values are a 400 naming the parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from collections_app.api.filtersets import RegistryFilterSet
from collections_app.models import Collection, Institution
from elvis.api.pagination import KeysetOrderingFilter

if TYPE_CHECKING:
    from django.http import HttpRequest

    from elvis.workflow.kinds import RequestKind


class AccessRequestFilterSet(RegistryFilterSet):
    """Filters every kind offers. ``filterset_for_kind`` adds ``status`` with the kind's
    statuses; a kind with filters of its own subclasses the result (see ``RequestKind``)."""

    #: What every kind can be ordered by; a kind's filterset may add its own dates.
    ORDERING_FIELDS = ("updated_at", "created_at", "submitted_at", "reference", "status")

    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.all(),
        to_field_name="code",
        help_text=_("Institution code, e.g. NHM."),
    )
    collection = django_filters.ModelChoiceFilter(
        field_name="collections", queryset=Collection.objects.all(), help_text=_("Collection id.")
    )
    requester = django_filters.ChoiceFilter(
        choices=[("me", _("me"))],
        method="filter_requester",
        help_text=_("me: only your own requests (staff see their institution's too)."),
    )
    q = django_filters.CharFilter(
        method="search", help_text=_("Reference or title contains (any case).")
    )

    request: HttpRequest  # DRF's filter backend always gives the FilterSet its request

    def filter_requester(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(requester=self.request.user)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))


def filterset_for_kind(kind: RequestKind) -> type[AccessRequestFilterSet]:
    """The kind's filters: the shared ones, ``status`` among its statuses, ``ordering``, and
    the kind's own (``kind.filters``)."""
    own = (kind.filters,) if kind.filters else ()
    ordering = getattr(kind.filters, "ORDERING_FIELDS", ())
    return type(
        f"{kind.model.__name__}FilterSet",
        (*own, AccessRequestFilterSet),
        {
            # A column of the request itself, so no duplicate rows to remove: django-filter's
            # default DISTINCT would sort every match before the page's LIMIT (issue #13).
            "status": django_filters.MultipleChoiceFilter(
                choices=kind.statuses,
                distinct=False,
                help_text=_("Repeat for several: ?status=submitted&status=under_review."),
            ),
            "ordering": KeysetOrderingFilter(
                fields=(*AccessRequestFilterSet.ORDERING_FIELDS, *ordering)
            ),
            "Meta": type("Meta", (), {"model": kind.model, "fields": []}),
            "__module__": __name__,
        },
    )
