"""List endpoints cost the same few queries for a page of 5 as for a page of 50.

The base querysets carry the joins (select_related), the instruments (prefetch_related) and
the counts (annotate); if a serializer starts touching an un-joined relation, the count for the
larger page grows and these tests fail.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import Collection, Facility, Institution, Instrument, Specimen

BASE = "/api/v1"
ROWS = 60


@pytest.fixture
def big_registry(db) -> None:
    institutions = Institution.objects.bulk_create(
        Institution(code=f"I{n:03}", name=f"Institution {n}", country="GB") for n in range(ROWS)
    )
    collections = Collection.objects.bulk_create(
        Collection(institution=inst, code="ENT", name="Entomology") for inst in institutions
    )
    facilities = Facility.objects.bulk_create(
        Facility(institution=inst, name="Lab") for inst in institutions
    )
    Instrument.objects.bulk_create(
        Instrument(facility=facility, name=name)
        for facility in facilities
        for name in ("SEM", "CT")
    )
    Specimen.objects.bulk_create(
        Specimen(collection=collection, catalog_number=f"S-{n}")
        for n, collection in enumerate(collections)
    )


def _queries_for(api, path: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, params)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == int(params["page_size"])
    return len(captured)


@pytest.mark.parametrize(
    ("endpoint", "filters", "most"),
    [
        ("institutions", {}, 2),
        ("institutions", {"country": "gb", "q": "institution", "ordering": "-name"}, 2),
        ("collections", {}, 2),
        ("collections", {"code": "ENT", "accepts_loans": "true"}, 2),
        ("facilities", {}, 3),
        ("facilities", {"q": "sem", "min_capacity": "1"}, 3),
        ("specimens", {}, 2),
        ("specimens", {"collection_code": "ENT", "is_available": "true", "ordering": "family"}, 2),
    ],
)
def test_a_list_page_costs_a_constant_number_of_queries(api, big_registry, endpoint, filters, most):
    small = _queries_for(api, f"{BASE}/{endpoint}/", {**filters, "page_size": "5"})
    large = _queries_for(api, f"{BASE}/{endpoint}/", {**filters, "page_size": "50"})

    assert small == large
    assert large <= most


def test_filtering_by_institution_code_adds_one_lookup_not_one_per_row(api, big_registry):
    small = _queries_for(api, f"{BASE}/specimens/", {"institution": "I001", "page_size": "1"})

    # The code lookup and the page (specimens page by cursor: no count query).
    assert small == 2
