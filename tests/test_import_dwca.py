"""``import_dwca`` reads a GBIF occurrence download into the specimens of one collection."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import execute_from_command_line
from django.core.management.base import BaseCommand

from collections_app.models import Collection, Institution, Specimen
from collections_app.search import search_key

from .dwca_support import GBIF_DOWNLOAD, import_dwca, rejects_of, zip_gbif_download


@pytest.fixture
def mncn_entomology(db) -> Collection:
    """A code with a space and parentheses: ``--collection`` splits on the last colon."""
    institution = Institution.objects.create(
        code="CSIC (MNCN)", name="Museo Nacional de Ciencias Naturales", country="ES"
    )
    return Collection.objects.create(institution=institution, code="ENT", name="Entomología")


def test_a_gbif_download_zip_becomes_specimens_with_every_mapped_field(mncn_entomology, tmp_path):
    output = import_dwca(zip_gbif_download(tmp_path), "CSIC (MNCN):ENT")

    rejects = tmp_path / "0000000-250310000000000.rejects.csv"
    assert output.strip() == (
        f"created 6, updated 0, unchanged 0, rejected 0 (reasons in {rejects})"
    )
    assert rejects_of(rejects) == []
    holotype = Specimen.objects.get(collection=mncn_entomology, catalog_number="MNCN_Ent 101236")
    assert holotype.occurrence_id == "urn:catalog:MNCN:Ent:101236"
    assert holotype.scientific_name == "Dorcadion ghilianii Chevrolat, 1862"
    assert holotype.family == "Cerambycidae"
    assert holotype.type_status == "Holotype"
    assert holotype.country == "ES"
    assert holotype.locality == "Sierra de Gredos, Ávila"
    assert holotype.event_date == "1910-06"
    assert holotype.preparations == "card-mounted"
    assert holotype.is_available is True


def test_accents_intervals_and_date_times_arrive_intact(mncn_entomology, tmp_path):
    import_dwca(zip_gbif_download(tmp_path), "CSIC (MNCN):ENT")

    stored = dict(
        Specimen.objects.filter(collection=mncn_entomology).values_list(
            "catalog_number", "locality"
        )
    )
    assert stored["MNCN_Ent 101234"] == "Sierra de Guadarrama, Peñalara"
    assert stored["MNCN_Ent 101235"] == "Doñana, Huelva"
    assert stored["MNCN_Ent 101238"] == "Pic du Canigou, Pyrénées-Orientales"
    dates = dict(
        Specimen.objects.filter(collection=mncn_entomology).values_list(
            "catalog_number", "event_date"
        )
    )
    assert dates["MNCN_Ent 101235"] == "1930-07-02/1930-07-09"
    assert dates["MNCN_Ent 101237"] == "1962"
    assert dates["MNCN_Ent 101238"] == "1987-06-14T10:30"


def test_the_search_key_of_each_name_is_stored_for_prefix_search(mncn_entomology, tmp_path):
    import_dwca(zip_gbif_download(tmp_path), "CSIC (MNCN):ENT")

    for name, key in Specimen.objects.values_list("scientific_name", "scientific_name_key"):
        assert key == search_key(name)
    assert Specimen.objects.filter(scientific_name_key__startswith="parnassius apollo").exists()


def test_an_unpacked_download_folder_imports_the_same(mncn_entomology, tmp_path):
    folder = shutil.copytree(GBIF_DOWNLOAD, tmp_path / "download")

    output = import_dwca(folder, "CSIC (MNCN):ENT")

    assert output.startswith("created 6, updated 0, unchanged 0, rejected 0")
    assert (tmp_path / "download.rejects.csv").exists()
    assert Specimen.objects.filter(collection=mncn_entomology).count() == 6


def test_specimens_of_other_collections_are_left_alone(mncn_entomology, specimen_a, tmp_path):
    import_dwca(zip_gbif_download(tmp_path), "CSIC (MNCN):ENT")

    specimen_a.refresh_from_db()
    assert specimen_a.collection.code == "ENT"
    assert Specimen.objects.filter(collection=specimen_a.collection).count() == 1


def test_an_import_starts_without_the_sites_system_checks(
    mncn_entomology, tmp_path, monkeypatch, capsys
):
    """As run from a terminal or a nightly job (``manage.py import_dwca``; ``call_command``
    skips the checks anyway): they are the web's and the deploy's, and cost every run half a
    second."""
    checked = []
    monkeypatch.setattr(BaseCommand, "check", lambda self, **kwargs: checked.append(kwargs))
    archive = str(zip_gbif_download(tmp_path))

    execute_from_command_line(
        ["manage.py", "import_dwca", archive, "--collection", "CSIC (MNCN):ENT"]
    )

    assert checked == []
    assert capsys.readouterr().out.startswith("created 6, updated 0, unchanged 0, rejected 0")
    execute_from_command_line(["manage.py", "check"])  # what still runs them
    assert len(checked) == 1
