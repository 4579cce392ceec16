"""The specimens API writes its rows by hand for speed; they stay exactly what DRF's generic
serializer writes from the declared fields, in any time zone, on list and detail alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from collections_app.api.serializers import SpecimenSerializer
from collections_app.models import Specimen


@pytest.fixture
def specimens(collection_a):
    Specimen.objects.bulk_create(
        [
            Specimen(
                collection=collection_a,
                catalog_number="ENT-1",
                occurrence_id="urn:catalog:INSTA:ENT:1",
                scientific_name="Carabus auratus",
                family="Carabidae",
                type_status="Holotype",
                country="FR",
                locality="Forêt de Fontainebleau",
                event_date="1921-06-14",
                preparations="pinned",
            ),
            Specimen(collection=collection_a, catalog_number="ENT-2", is_available=False),
        ]
    )
    Specimen.objects.filter(catalog_number="ENT-2").update(
        updated_at=datetime(2026, 3, 29, 0, 30, 0, 123456, tzinfo=UTC)
    )
    return list(Specimen.objects.select_related("collection__institution").order_by("pk"))


def generic(specimen: Specimen) -> dict:
    return serializers.ModelSerializer.to_representation(SpecimenSerializer(), specimen)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_the_hand_written_row_is_the_generic_one(specimens, zone):
    with timezone.override(zone):
        for specimen in specimens:
            assert SpecimenSerializer(specimen).data == generic(specimen)


def test_a_page_and_a_detail_answer_the_hand_written_rows(api, specimens):
    page = api.get("/api/v1/specimens/").json()["results"]
    detail = api.get(f"/api/v1/specimens/{specimens[1].pk}/").json()

    expected = [dict(generic(specimen)) for specimen in specimens]
    assert sorted(page, key=lambda row: row["id"]) == expected
    assert detail == expected[1]
    assert detail["updated_at"] == "2026-03-29T00:30:00.123456Z"


def test_a_page_looks_up_the_time_zone_once(specimens, monkeypatch):
    """The zone is read once per page, not per row (two thread-locals a row cost a third of
    its time), and a page written in another zone still writes every row in it."""
    lookups = []
    current = timezone.get_current_timezone

    def counted():
        lookups.append(1)
        return current()

    monkeypatch.setattr(timezone, "get_current_timezone", counted)
    with timezone.override("Europe/Paris"):
        page = SpecimenSerializer(specimens, many=True).data
    assert len(lookups) == 1
    assert page[1]["updated_at"] == "2026-03-29T01:30:00.123456+01:00"


def test_a_page_writes_each_time_once_and_every_row_its_own(specimens, monkeypatch):
    """A page formats each distinct time once (an import's batch shares one), and still gives
    every row its own times, in the page's zone."""
    from collections_app.api import serializers as module

    formatted = []
    original = module._iso

    def counted(moment, zone):
        formatted.append(moment)
        return original(moment, zone)

    monkeypatch.setattr(module, "_iso", counted)
    rows = specimens * 3
    with timezone.override("Europe/Paris"):
        page = SpecimenSerializer(rows, many=True).data
        expected = [generic(specimen) for specimen in rows]
    distinct = {time for s in specimens for time in (s.created_at, s.updated_at)}
    assert sorted(formatted) == sorted(distinct)  # each once, not once per row (12 times)
    assert [dict(row) for row in page] == [dict(row) for row in expected]
