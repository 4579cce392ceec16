"""``import_institutions`` on GRSciColl JSON as the GBIF registry API returns it."""

from __future__ import annotations

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from collections_app.models import Collection, Institution

SAMPLES = Path(__file__).resolve().parent / "data" / "grscicoll"
INSTITUTIONS = SAMPLES / "institutions.json"
COLLECTIONS = SAMPLES / "collections.json"
SMF_KEY = "16946ec1-8db3-45b8-b084-7644384cc5f5"
NHMUK_KEY = "6e1f3a52-2c4d-4a8b-9b77-0d1f5c3e8a21"
CRUSTACEA_KEY = "1d1393bd-7edd-46fe-a224-ac8ff8e38402"


def run_import(*paths: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_institutions", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def institution_page() -> dict:
    return json.loads(INSTITUTIONS.read_text("utf-8"))


def collection_list() -> list[dict]:
    return json.loads(COLLECTIONS.read_text("utf-8"))


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def imported(db) -> tuple[str, str]:
    return run_import(INSTITUTIONS, COLLECTIONS)


def test_institution_records_map_onto_institutions(imported):
    smf = Institution.objects.get(grscicoll_key=SMF_KEY)
    nhm = Institution.objects.get(code="NHMUK")

    assert (smf.code, smf.name) == ("SMF", "Forschungsinstitut und Natur-Museum Senckenberg")
    assert (smf.country, smf.city) == ("DE", "Frankfurt am Main")
    assert smf.address == "Senckenberganlage 25\n60325 Frankfurt am Main\nHessen"
    assert (smf.contact_email, smf.website) == (
        "info@senckenberg.de",
        "https://www.senckenberg.de/",
    )
    assert smf.total_specimens is None  # GRSciColl's 0 means nobody entered a number
    assert (nhm.grid_id, nhm.ror_id) == ("grid.35937.3b", "https://ror.org/039zvsn29")
    assert (nhm.grscicoll_key, nhm.total_specimens) == (NHMUK_KEY, 80_000_000)


def test_the_mailing_address_serves_when_there_is_no_physical_one(imported):
    lund = Institution.objects.get(code="MZLU")

    assert (lund.country, lund.city) == ("SE", "Lund")
    assert lund.address.startswith("Sölvegatan 37")
    assert lund.contact_email == "info@biomus.lu.se"  # the first non-empty address


def test_collection_records_map_onto_collections_of_their_institution(imported):
    crustacea = Collection.objects.get(grscicoll_key=CRUSTACEA_KEY)

    assert crustacea.institution.grscicoll_key == SMF_KEY
    assert (crustacea.code, crustacea.name) == ("Crustacea - SMF", "Crustacea - SMF")
    assert crustacea.discipline == "Biological preserved organisms"
    assert crustacea.preservation_types == "Storage indoors, Storage frozen minus 20, Sample dried"
    assert crustacea.taxonomic_scope == "Animalia - Arthropoda - Crustacea"
    assert crustacea.contact_email == "info_sesam@senckenberg.de"
    assert (crustacea.accepts_loans, crustacea.accepts_visits) == (True, True)


def test_a_collection_without_institution_key_is_attached_by_institution_code(imported):
    assert Collection.objects.get(code="MZLU-Ent").institution.code == "MZLU"


def test_institutions_are_imported_before_collections_whatever_the_order(db):
    out, err = run_import(COLLECTIONS, INSTITUTIONS)

    assert "skipped" not in err
    assert "Institutions: 3 created" in out
    assert "Collections: 3 created" in out


def test_reimporting_the_same_records_changes_nothing(imported):
    out, err = run_import(SAMPLES)

    assert Institution.objects.count() == 3
    assert Collection.objects.count() == 3
    assert "Institutions: 0 created, 0 updated, 3 unchanged, 0 skipped" in out
    assert "Collections: 0 created, 0 updated, 3 unchanged, 0 skipped" in out
    assert err == ""


def test_a_changed_record_updates_and_keeps_the_access_settings(imported, tmp_path):
    Collection.objects.filter(grscicoll_key=CRUSTACEA_KEY).update(
        accepts_loans=False, accepts_digitisation=False
    )
    records = collection_list()
    records[0]["name"] = "Crustacea collection"
    records[0]["numberSpecimens"] = 250_000

    out, _err = run_import(write_json(tmp_path / "collections.json", records))

    crustacea = Collection.objects.get(grscicoll_key=CRUSTACEA_KEY)
    assert (crustacea.name, crustacea.specimen_count) == ("Crustacea collection", 250_000)
    assert (crustacea.accepts_loans, crustacea.accepts_visits) == (False, True)
    assert crustacea.accepts_digitisation is False
    assert "Collections: 0 created, 1 updated, 2 unchanged, 0 skipped" in out


def test_an_institution_from_the_tables_is_found_by_grid_id_and_keeps_its_code(db):
    Institution.objects.create(
        code="NHM", name="Natural History Museum London", grid_id="grid.35937.3b"
    )

    _out, err = run_import(INSTITUTIONS)

    nhm = Institution.objects.get(grscicoll_key=NHMUK_KEY)
    assert nhm.code == "NHM"
    assert nhm.ror_id == "https://ror.org/039zvsn29"
    assert not Institution.objects.filter(code="NHMUK").exists()
    assert "code 'NHMUK' matched 'NHM' by GRID id grid.35937.3b" in err


def test_bad_records_are_reported_by_index_and_the_rest_is_imported(db, tmp_path):
    page = institution_page()
    good = page["results"][0]
    no_code = {**copy.deepcopy(good), "key": "00000000-0000-4000-8000-000000000001", "code": None}
    bad_country = copy.deepcopy(good) | {"key": "00000000-0000-4000-8000-000000000002"}
    bad_country["code"] = "BADC"
    bad_country["address"]["country"] = "XX"
    bad_count = copy.deepcopy(good) | {"key": "00000000-0000-4000-8000-000000000003"}
    bad_count |= {"code": "BADN", "numberSpecimens": "many"}
    page["results"] = [good, no_code, bad_country, bad_count, "not a record"]

    out, err = run_import(write_json(tmp_path / "page.json", page))

    assert "page.json, results[1]: skipped: a GRSciColl record needs both code and name" in err
    assert "page.json, results[2]: skipped: address country: not an ISO 3166-1 alpha-2" in err
    assert "page.json, results[3]: skipped: numberSpecimens: expected a whole number" in err
    assert "page.json, results[4]: skipped: not a JSON object" in err
    assert list(Institution.objects.values_list("code", flat=True)) == ["SMF"]
    assert "Institutions: 1 created, 0 updated, 0 unchanged, 4 skipped" in out


def test_a_collection_of_an_unknown_institution_is_skipped(db, tmp_path):
    records = collection_list()[:1]
    records[0]["institutionCode"] = "NOWHERE"

    _out, err = run_import(write_json(tmp_path / "orphans.json", records))

    assert "orphans.json, [0]: skipped: unknown institution (institutionKey" in err
    assert not Collection.objects.exists()


def test_a_database_error_on_one_record_loses_only_that_record(imported, tmp_path):
    # The Crustacea record moves to NHMUK, which already holds a collection with the same code:
    # the unique constraint fails in the database, inside that record's savepoint.
    Collection.objects.filter(code="BMNH(E)").update(code="Crustacea - SMF")
    records = collection_list()
    records[0]["institutionKey"] = NHMUK_KEY
    records[2]["name"] = "Insect collections"

    out, err = run_import(write_json(tmp_path / "moved.json", records))

    assert "moved.json, [0]: skipped: database error:" in err
    assert Collection.objects.get(code="MZLU-Ent").name == "Insect collections"
    assert Collection.objects.get(grscicoll_key=CRUSTACEA_KEY).institution.code == "SMF"
    assert "Collections: 0 created, 1 updated, 1 unchanged, 1 skipped" in out


def test_long_free_text_is_shortened_at_a_word_boundary_not_rejected(db, tmp_path):
    run_import(INSTITUTIONS)
    records = collection_list()[:1]
    records[0]["taxonomicCoverage"] = "Crustacea: " + ", ".join(["Decapoda", "Isopoda"] * 40)

    _out, err = run_import(write_json(tmp_path / "long.json", records))

    scope = Collection.objects.get().taxonomic_scope
    assert err == ""
    assert len(scope) <= 255
    assert scope.endswith("poda…")


def test_a_single_record_as_from_the_detail_endpoint_is_accepted(db, tmp_path):
    record = institution_page()["results"][1]

    run_import(write_json(tmp_path / "nhmuk.json", record))

    assert Institution.objects.get().grscicoll_key == NHMUK_KEY


def test_a_partial_page_is_imported_and_flagged(db, tmp_path):
    page = institution_page() | {"endOfRecords": False, "count": 8251}

    out, _err = run_import(write_json(tmp_path / "page-1.json", page))

    assert "one page (3 of 8251 records; fetch the others too)" in out
    assert Institution.objects.count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"results": [', "invalid JSON"),
        ('{"type": "FeatureCollection"}', "not an ELViS institution/facility table or GRSciColl"),
    ],
)
def test_json_that_is_not_grscicoll_is_a_command_error(db, tmp_path, content, message):
    path = tmp_path / "other.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        run_import(path)
