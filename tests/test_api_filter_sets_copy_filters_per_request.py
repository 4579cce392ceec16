"""Each request's filter set has filters of its own, copied one level deep, not deep-copied.

django-filter deep-copies a class's filters per filter set; ``FiltersCopiedPerRequest`` copies
each filter object instead. These pin what keeps two requests apart: the filter objects, their
``parent``, and a method filter calling the method of its own filter set.
"""

from __future__ import annotations

import pytest

from collections_app.api.filtersets import (
    FiltersCopiedPerRequest,
    InstitutionFilterSet,
    SpecimenFilterSet,
)
from collections_app.models import Institution

pytestmark = pytest.mark.django_db


def test_every_registry_filter_set_class_copies_its_filters_per_request():
    assert isinstance(InstitutionFilterSet.base_filters, FiltersCopiedPerRequest)
    assert isinstance(SpecimenFilterSet.base_filters, FiltersCopiedPerRequest)


def test_two_filter_sets_share_no_filter_and_each_is_the_parent_of_its_own():
    queryset = Institution.objects.all()
    first = InstitutionFilterSet(data={"q": "Natural"}, queryset=queryset)
    second = InstitutionFilterSet(data={"q": "Real"}, queryset=queryset)
    for name, base in InstitutionFilterSet.base_filters.items():
        assert first.filters[name] is not second.filters[name] is not base
        assert first.filters[name].parent is first and second.filters[name].parent is second
        assert getattr(base, "parent", None) is None


def test_a_method_filter_calls_the_method_of_its_own_filter_set():
    Institution.objects.create(code="NHMX", name="Natural History Museum X", country="GB")
    Institution.objects.create(code="RBGX", name="Royal Botanic Garden X", country="GB")
    queryset = Institution.objects.all()
    natural = InstitutionFilterSet(data={"q": "Natural"}, queryset=queryset)
    royal = InstitutionFilterSet(data={"q": "Royal"}, queryset=queryset)
    assert natural.filters["q"].filter.f is natural.filters["q"]
    # Evaluated after both exist: each answers its own question.
    assert [i.code for i in royal.qs] == ["RBGX"]
    assert [i.code for i in natural.qs] == ["NHMX"]
