"""Every registry filter selects what it says, and nothing else.

One small registry (two institutions, one with a code full of spaces and brackets) serves the
whole table: each case names the endpoint, the query and the expected keys of the results.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from collections_app.models import Collection, Facility, Institution, Instrument, Specimen

BASE = "/api/v1"


@pytest.fixture
def registry(db) -> dict[str, object]:
    nhm = Institution.objects.create(
        code="NHM", name="Natural History Museum", country="GB", city="London"
    )
    mncn = Institution.objects.create(
        code="CSIC (MNCN)", name="Museo Nacional de Ciencias Naturales", country="ES", city="Madrid"
    )
    ent = Collection.objects.create(
        institution=nhm, code="ENT", name="Entomology", discipline="Entomology"
    )
    bot = Collection.objects.create(
        institution=nhm,
        code="BOT",
        name="Herbarium",
        discipline="Botany",
        accepts_loans=False,
        taxonomic_scope="Vascular plants",
    )
    mncn_ent = Collection.objects.create(
        institution=mncn, code="ENT", name="Insects", discipline="Entomology", accepts_visits=False
    )
    Facility.objects.create(
        institution=nhm, name="Imaging suite", type=Facility.Type.DIGITISATION, daily_capacity=4
    )
    lab = Facility.objects.create(
        institution=mncn, name="Molecular lab", description="DNA work", daily_capacity=1
    )
    Instrument.objects.create(facility=lab, name="Sanger sequencer")
    Instrument.objects.create(facility=lab, name="Sequencer for NGS")
    Specimen.objects.create(
        collection=ent,
        catalog_number="NHM-1",
        scientific_name="Carabus auratus",
        family="Carabidae",
        type_status="Holotype",
        country="France",
        locality="Forest near Lyon",
    )
    Specimen.objects.create(
        collection=bot,
        catalog_number="NHM-2",
        scientific_name="Quercus robur",
        family="Fagaceae",
        country="United Kingdom",
        is_available=False,
    )
    Specimen.objects.create(
        collection=mncn_ent,
        catalog_number="M-1",
        scientific_name="Carabus violaceus",
        family="Carabidae",
        country="Spain",
        locality="Sierra de Guadarrama",
    )
    return {"nhm": nhm, "mncn": mncn, "ent": ent, "bot": bot, "mncn_ent": mncn_ent}


def _keys(response, key: str) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(str(item[key]) for item in response.json()["results"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"country": "gb"}, ["NHM"]),
        ({"country": "ES"}, ["CSIC (MNCN)"]),
        ({"country": "FR"}, []),
        ({"code": "NHM"}, ["NHM"]),
        ({"code": "nhm"}, []),
        ({"code__iexact": "nhm"}, ["NHM"]),
        ({"q": "madrid"}, ["CSIC (MNCN)"]),
        ({"q": "history"}, ["NHM"]),
        ({"q": "mncn"}, ["CSIC (MNCN)"]),
        ({"q": "nowhere"}, []),
    ],
)
def test_institution_filters(api, registry, params, expected):
    assert _keys(api.get(f"{BASE}/institutions/", params), "code") == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"institution": "NHM"}, ["Entomology", "Herbarium"]),
        ({"institution": "CSIC (MNCN)"}, ["Insects"]),
        ({"code": "ENT"}, ["Entomology", "Insects"]),
        ({"code": "ENT", "institution": "NHM"}, ["Entomology"]),
        ({"discipline": "botany"}, ["Herbarium"]),
        ({"accepts_loans": "false"}, ["Herbarium"]),
        ({"accepts_loans": "true"}, ["Entomology", "Insects"]),
        ({"accepts_visits": "0"}, ["Insects"]),
        ({"accepts_digitisation": "False"}, []),
        ({"q": "vascular"}, ["Herbarium"]),
        ({"q": "insect"}, ["Insects"]),
    ],
)
def test_collection_filters(api, registry, params, expected):
    assert _keys(api.get(f"{BASE}/collections/", params), "name") == expected


def test_collections_filter_by_institution_id(api, registry):
    response = api.get(f"{BASE}/collections/", {"institution_id": registry["mncn"].pk})

    assert _keys(response, "name") == ["Insects"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"institution": "NHM"}, ["Imaging suite"]),
        ({"type": "digitisation"}, ["Imaging suite"]),
        ({"type": "workspace"}, []),
        ({"min_capacity": "2"}, ["Imaging suite"]),
        ({"min_capacity": "1"}, ["Imaging suite", "Molecular lab"]),
        ({"q": "dna"}, ["Molecular lab"]),
        ({"q": "imaging"}, ["Imaging suite"]),
        # Both instruments match: the facility is still listed once.
        ({"q": "sequencer"}, ["Molecular lab"]),
        ({"is_active": "true"}, ["Imaging suite", "Molecular lab"]),
    ],
)
def test_facility_filters(api, registry, params, expected):
    response = api.get(f"{BASE}/facilities/", params)

    assert _keys(response, "name") == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"institution": "NHM"}, ["NHM-1", "NHM-2"]),
        ({"institution": "CSIC (MNCN)"}, ["M-1"]),
        ({"collection_code": "ENT"}, ["M-1", "NHM-1"]),
        ({"catalog_number": "NHM-1"}, ["NHM-1"]),
        ({"catalog_number": "NHM"}, []),
        ({"scientific_name": "carabus"}, ["M-1", "NHM-1"]),
        ({"scientific_name": "Carabus aur"}, ["NHM-1"]),
        ({"scientific_name": "auratus"}, []),
        ({"family": "carabidae"}, ["M-1", "NHM-1"]),
        ({"family": "Carab"}, []),
        ({"type_status": "holotype"}, ["NHM-1"]),
        ({"country": "spain"}, ["M-1"]),
        ({"is_available": "false"}, ["NHM-2"]),
        ({"is_available": "true"}, ["M-1", "NHM-1"]),
        ({"q": "NHM-2"}, ["NHM-2"]),
        ({"q": "quercus"}, ["NHM-2"]),
        ({"q": "fagaceae"}, ["NHM-2"]),
        # Localities are not searched: a "contains" over millions of rows has no index.
        ({"q": "guadarrama"}, []),
        ({"q": "robur"}, []),
    ],
)
def test_specimen_filters(api, registry, params, expected):
    assert _keys(api.get(f"{BASE}/specimens/", params), "catalog_number") == expected


def test_specimens_filter_by_collection_id(api, registry):
    response = api.get(f"{BASE}/specimens/", {"collection": registry["bot"].pk})

    assert _keys(response, "catalog_number") == ["NHM-2"]


@pytest.mark.parametrize("endpoint", ["institutions", "collections", "facilities", "specimens"])
def test_updated_after_returns_only_records_changed_since(api, registry, endpoint):
    cutoff = timezone.now()
    model = {
        "institutions": Institution,
        "collections": Collection,
        "facilities": Facility,
        "specimens": Specimen,
    }[endpoint]
    model.objects.update(updated_at=cutoff - timedelta(days=1))
    changed = model.objects.order_by("pk").first()
    model.objects.filter(pk=changed.pk).update(updated_at=cutoff)

    response = api.get(f"{BASE}/{endpoint}/", {"updated_after": cutoff.isoformat()})

    assert _keys(response, "id") == [str(changed.pk)]


def test_ordering_accepts_several_fields(api, registry):
    response = api.get(f"{BASE}/collections/", {"ordering": "code,-institution"})

    names = [c["name"] for c in response.json()["results"]]
    assert names == ["Herbarium", "Entomology", "Insects"]
