"""``import_institutions`` on the ELViS/DiSSCo tables: the real files, then broken ones."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from collections_app.models import Facility, Institution, Instrument

DATA = Path(__file__).resolve().parents[1] / "data" / "elvis-inst-coll"
SUMMARY_TABLE = DATA / "inst-coll-summary.tsv"
FACILITY_TABLE = DATA / "inst-facilities-lab-sample.tsv"
LOCATION_TABLE = DATA / "inst-location.tsv"
SUMMARY_HEADER = "abbv\tname\tgrid\tcetaf\ttotal_specimens_all_coll\tdna_bank\tseed_bank\n"
FACILITY_HEADER = (
    "institutionCode\tGRID\tfacilityName\tinstrumentOrServiceName\tinstrumentOrServiceDescription\n"
)


def run_import(*paths: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_institutions", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def facility_rows() -> list[dict[str, str]]:
    """The facility table read independently of the importer (it is Latin-1, CRLF)."""
    text = FACILITY_TABLE.read_bytes().decode("latin-1")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t"))


def problem_lines(err: str, file_name: str) -> dict[int, str]:
    return {
        int(match.group(1)): line
        for line in err.splitlines()
        if (match := re.match(rf"{re.escape(file_name)}, line (\d+): skipped: ", line))
    }


@pytest.fixture
def imported(db) -> tuple[str, str]:
    return run_import(DATA)


def test_the_real_tables_give_the_twenty_institutions_of_the_summary(imported):
    codes = {line.split("\t")[0] for line in SUMMARY_TABLE.read_text("utf-8").splitlines()[1:]}

    assert len(codes) == 20
    assert set(Institution.objects.values_list("code", flat=True)) == codes


def test_the_real_import_reports_no_problem_but_the_one_repeated_instrument(imported):
    _out, err = imported

    assert "skipped" not in err
    assert err.count("warning") == 1
    assert "line 8: warning: NHM / Molecular Biology Unit (MBU) / StepOne Plus" in err
    assert "repeats line 3" in err


def test_totals_and_banks_come_from_the_summary_table_despite_trailing_spaces(imported):
    nhm = Institution.objects.get(code="NHM")
    meise = Institution.objects.get(code="BGM")  # dna_bank is "no " in the file

    assert nhm.total_specimens == 74_460_377
    assert (meise.has_dna_bank, meise.has_seed_bank) == (False, True)


@pytest.mark.parametrize("code", ["CSIC (MNCN)", "CSIC (RJB)", "UCPH/SNM"])
def test_codes_with_spaces_and_slashes_are_kept_as_published(imported, code):
    assert Institution.objects.filter(code=code).exists()


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("CSIC (RJB)", "Real Jardín Botánico de Madrid"),
        ("HNHM", "Magyar Természettudományi Múzeum"),
        ("SMNS", "Staatliches Museum für Naturkunde Stuttgart"),
    ],
)
def test_names_with_diacritics_survive_the_import(imported, code, name):
    assert Institution.objects.get(code=code).name == name


def test_grid_ids_are_stored_bare_whether_the_table_has_urls_or_ids(imported):
    assert Institution.objects.get(code="NHM").grid_id == "grid.35937.3b"
    assert all(
        re.fullmatch(r"grid\.\d+\.[0-9a-f]+", grid_id)
        for grid_id in Institution.objects.values_list("grid_id", flat=True)
    )


@pytest.mark.parametrize(
    ("code", "country", "city"),
    [
        ("NHM", "GB", "London"),
        ("NHMW", "AT", "Wien"),
        ("UCPH/SNM", "DK", "Copenhagen"),
        ("CSIC (RJB)", "ES", "Madrid"),
        ("HUJI", "IL", "Jerusalem"),
        ("RBGK", "GB", "Richmond"),
    ],
)
def test_location_comes_from_the_elvis_supplement(imported, code, country, city):
    institution = Institution.objects.get(code=code)

    assert (institution.country, institution.city) == (country, city)
    assert institution.website.startswith("https://")


def test_every_institution_has_a_country(imported):
    assert not Institution.objects.filter(country="").exists()


def test_facility_rows_are_grouped_into_facilities_with_their_instruments(imported):
    rows = facility_rows()
    facilities = {(row["institutionCode"], row["facilityName"]) for row in rows}
    instruments = {
        (row["institutionCode"], row["facilityName"], row["instrumentOrServiceName"].strip())
        for row in rows
    }

    assert (len(rows), len(facilities), len(instruments)) == (85, 23, 84)
    assert Facility.objects.count() == 23
    assert Instrument.objects.count() == 84


def test_a_repeated_instrument_row_does_not_give_a_twin(imported):
    mbu_rows = [row for row in facility_rows() if row["facilityName"].startswith("Molecular Biol")]
    mbu = Facility.objects.get(institution__code="NHM", name="Molecular Biology Unit (MBU)")

    assert len(mbu_rows) == 15
    assert Counter(row["instrumentOrServiceName"] for row in mbu_rows).most_common(1)[0][1] == 2
    assert mbu.instruments.count() == 14
    assert mbu.instruments.filter(name="StepOne Plus real-time PCR systems").count() == 1


def test_latin1_text_of_the_facility_table_is_read_intact(imported):
    scanner = Instrument.objects.get(name="Merco/XRE 120 kv microscanner")

    assert "resolution of 0.4 µm" in scanner.description


def test_a_row_without_instrument_name_offers_the_facility_itself(imported):
    msl = Facility.objects.get(
        institution__code="RBINS", name="Molecular Systematics Laboratory (MSL)"
    )

    service = msl.instruments.get()
    assert service.name == msl.name
    assert service.description.startswith("Equipped with 7 PCR thermocyclers")


@pytest.mark.parametrize(
    ("code", "name", "kind"),
    [
        ("RBINS", "Digitization platform", Facility.Type.DIGITISATION),
        ("NHM", "Molecular Biology Unit (MBU)", Facility.Type.LAB),
        ("UCPH/SNM", "Advanced Light Microscopy", Facility.Type.LAB),
        ("NHM", "Imaging and Analysis Centre", Facility.Type.LAB),
        ("NHM", "Zoology Radiography Suite", Facility.Type.OTHER),
    ],
)
def test_facility_type_is_guessed_from_the_name(imported, code, name, kind):
    assert Facility.objects.get(institution__code=code, name=name).type == kind


def test_rerunning_changes_nothing_and_says_so(imported):
    before = (Institution.objects.count(), Facility.objects.count(), Instrument.objects.count())

    out, err = run_import(DATA)

    assert (Institution.objects.count(), Facility.objects.count(), Instrument.objects.count()) == (
        before
    )
    assert "Institutions: 0 created, 0 updated, 20 unchanged, 0 skipped" in out
    assert "Facilities: 0 created, 0 updated, 23 unchanged, 0 skipped" in out
    assert "Instruments and services: 0 created, 0 updated, 84 unchanged, 0 skipped" in out
    assert "skipped:" not in err


def test_rerunning_restores_a_changed_value_and_keeps_the_curated_facility_type(imported):
    Institution.objects.filter(code="NHM").update(total_specimens=1)
    Facility.objects.filter(name="Zoology Radiography Suite").update(type=Facility.Type.WORKSPACE)

    out, _err = run_import(DATA)

    assert Institution.objects.get(code="NHM").total_specimens == 74_460_377
    assert Facility.objects.get(name="Zoology Radiography Suite").type == Facility.Type.WORKSPACE
    assert "Institutions: 0 created, 1 updated, 19 unchanged, 0 skipped" in out


def test_institution_tables_are_imported_before_facilities_whatever_the_order(db):
    out, err = run_import(FACILITY_TABLE, LOCATION_TABLE, SUMMARY_TABLE)

    assert "skipped:" not in err
    assert "Institutions: 20 created" in out
    assert Instrument.objects.count() == 84


def test_malformed_rows_are_reported_with_their_line_and_the_good_rows_land(db, tmp_path):
    table = tmp_path / "institutions.tsv"
    table.write_text(
        SUMMARY_HEADER
        + "GOOD\tGood Museum\tgrid.1.a\thttps://cetaf.org/good\t1,200\tyes\tno\n"
        + "SHORT\tShort Row Museum\n"
        + "BADNUM\tBad Number Museum\t\t\tmany\tno\tno\n"
        + "\tNo Code Museum\t\t\t5\tno\tno\n"
        + "NONAME\t\t\t\t5\tno\tno\n"
        + "BADBANK\tBad Bank Museum\t\t\t5\tmaybe\tno\n"
        + "BADGRID\tBad Grid Museum\tnot-a-grid\t\t5\tno\tno\n"
        + "ALSOGOOD\tAlso Good Museum\t\t\t\t\t\n",
        encoding="utf-8",
    )

    out, err = run_import(table)

    problems = problem_lines(err, "institutions.tsv")
    assert sorted(problems) == [3, 4, 5, 6, 7, 8]
    assert "expected 7 tab-separated columns, found 2" in problems[3]
    assert "total_specimens_all_coll: expected a whole number, got 'many'" in problems[4]
    assert "empty code" in problems[5]
    assert "empty name" in problems[6]
    assert "dna_bank: expected yes or no, got 'maybe'" in problems[7]
    assert "grid: not a GRID id" in problems[8]
    assert set(Institution.objects.values_list("code", flat=True)) == {"GOOD", "ALSOGOOD"}
    assert Institution.objects.get(code="GOOD").total_specimens == 1200
    assert "Institutions: 2 created, 0 updated, 0 unchanged, 6 skipped" in out


def test_an_unknown_institution_in_the_facility_table_skips_only_that_row(db, tmp_path):
    run_import(SUMMARY_TABLE)
    table = tmp_path / "labs.tsv"
    table.write_text(
        FACILITY_HEADER
        + "XYZ\tgrid.1.a\tNowhere Lab\tSEM\t\n"
        + "NHM\thttps://www.grid.ac/institutes/grid.35937.3b\tImaging Lab\tSEM\tZeiss\n",
        encoding="utf-8",
    )

    _out, err = run_import(table)

    assert "labs.tsv, line 2: skipped: unknown institution code 'XYZ'" in err
    assert Instrument.objects.get(name="SEM").facility.institution.code == "NHM"


def test_bad_locations_are_skipped_with_their_reason(db, tmp_path):
    run_import(SUMMARY_TABLE)
    table = tmp_path / "locations.tsv"
    table.write_text(
        "abbv\tcountry\tcity\twebsite\n"
        "NHM\tUK\tLondon\t\n"
        "NOPE\tFR\tParis\t\n"
        "NHMW\tat\tWien\tnot a url\n",
        encoding="utf-8",
    )

    _out, err = run_import(table)

    problems = problem_lines(err, "locations.tsv")
    assert "not an ISO 3166-1 alpha-2 country code: 'UK'" in problems[2]
    assert "unknown institution code 'NOPE'" in problems[3]
    assert "locations.tsv, line 4: warning: website:" in err
    vienna = Institution.objects.get(code="NHMW")
    assert (vienna.country, vienna.city, vienna.website) == ("AT", "Wien", "")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_a_spreadsheet_export_with_a_byte_order_mark_is_recognised(db, tmp_path, encoding):
    table = tmp_path / "excel-export.tsv"
    row = "MNHN\tMuséum national d'Histoire naturelle\t\t\t\tno\tno\r\n"
    table.write_bytes((SUMMARY_HEADER + row).encode(encoding))

    run_import(table)

    assert Institution.objects.get(code="MNHN").name == "Muséum national d'Histoire naturelle"


def test_a_windows_1252_file_keeps_its_accents_and_quotes(db, tmp_path):
    # The curly apostrophe and en dash are 0x92 and 0x96 in Windows-1252, absent from ISO-8859-1.
    name = "Mus\u00e9um d\u2019histoire naturelle \u2013 Gen\u00e8ve"
    table = tmp_path / "windows.tsv"
    table.write_bytes((SUMMARY_HEADER + f"MHNG\t{name}\t\t\t\tno\tno\r\n").encode("cp1252"))

    out, _err = run_import(table)

    assert Institution.objects.get(code="MHNG").name == name
    assert "(cp1252)" in out


def test_a_code_repeated_in_one_file_updates_one_institution(db, tmp_path):
    table = tmp_path / "twice.tsv"
    table.write_text(
        SUMMARY_HEADER + "DUP\tFirst Name\t\t\t10\tno\tno\nDUP\tSecond Name\t\t\t20\tno\tno\n",
        encoding="utf-8",
    )

    out, err = run_import(table)

    assert Institution.objects.filter(code="DUP").count() == 1
    assert Institution.objects.get(code="DUP").name == "Second Name"
    assert "twice.tsv, line 3: warning: DUP repeats line 2" in err
    assert "Institutions: 1 created, 0 updated, 0 unchanged, 0 skipped" in out


def test_a_code_that_contradicts_its_grid_id_is_not_merged(db, tmp_path):
    run_import(SUMMARY_TABLE)
    table = tmp_path / "clash.tsv"
    table.write_text(SUMMARY_HEADER + "NHM\tImpostor\tgrid.1.a\t\t\tno\tno\n", encoding="utf-8")

    _out, err = run_import(table)

    assert "belongs to an institution with GRID id grid.35937.3b" in err
    assert Institution.objects.get(code="NHM").name == "Natural History Museum London"


def test_a_missing_path_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        run_import(tmp_path / "missing.tsv")


def test_a_named_file_that_is_not_a_known_table_is_a_command_error(db):
    with pytest.raises(CommandError, match="not an ELViS institution/facility table"):
        run_import(DATA / "README.md")


def test_a_folder_without_any_known_table_is_a_command_error(db, tmp_path):
    (tmp_path / "notes.txt").write_text("nothing to import\n", encoding="utf-8")

    with pytest.raises(CommandError, match="no recognised file in this folder"):
        run_import(tmp_path)
