"""The filter sets of every list of the API, for tests that hold for each of them."""

from __future__ import annotations

from collections_app.api.filtersets import (
    CollectionFilterSet,
    FacilityFilterSet,
    InstitutionFilterSet,
    SpecimenFilterSet,
)


def every_filter_set_class() -> list[type]:
    """The registry's four and each registered request kind's (loans, visits, digitisation)."""
    from elvis.api.requests.viewsets import viewset_for_kind
    from elvis.workflow.kinds import all_kinds

    registry = [InstitutionFilterSet, CollectionFilterSet, FacilityFilterSet, SpecimenFilterSet]
    return registry + [viewset_for_kind(kind).filterset_class for kind in all_kinds()]
