"""The delivery package read back: every file listed with the right checksum, the CSVs' rows
match the items, the archive is a Darwin Core Archive and the IIIF manifest parses."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from dwca.read import DwCAReader
from iiif_prezi3 import Manifest

from virtual_access import packaging

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(delivered_set, media):
    built = packaging.build(delivered_set)
    path = media / built["package"]
    return delivered_set, built, path


def _csv(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.TextIOWrapper(zf.open(name), encoding="utf-8", newline="")))


def test_the_build_returns_the_package_fields_matching_the_file_on_disk(package):
    request, built, path = package
    assert set(built) == {"package", "package_size", "package_sha256"}
    assert built["package"].startswith(f"packages/{request.pk}/{request.reference}-")
    assert built["package_size"] == path.stat().st_size
    assert built["package_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_the_manifest_lists_every_other_file_with_its_checksum_and_size(package):
    _request, _built, path = package
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        listing = json.loads(zf.read("manifest.json"))
        for entry in listing["files"]:
            data = zf.read(entry["path"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
            assert len(data) == entry["size"]
    assert {entry["path"] for entry in listing["files"]} == names - {"manifest.json"}
    assert {
        "occurrence.csv",
        "multimedia.csv",
        "meta.xml",
        "mids.csv",
        "iiif-manifest.json",
    } <= names
    assert sum(name.startswith("masters/") for name in names) == 4
    assert sum(name.startswith("web/") for name in names) == 4
    assert sum(name.startswith("thumbnails/") for name in names) == 4


def test_masters_are_stored_and_text_is_deflated(package):
    _request, _built, path = package
    with zipfile.ZipFile(path) as zf:
        kinds = {info.filename: info.compress_type for info in zf.infolist()}
    assert all(kinds[n] == zipfile.ZIP_STORED for n in kinds if n.startswith("masters/"))
    assert kinds["occurrence.csv"] == zipfile.ZIP_DEFLATED


def test_the_masters_are_the_captured_bytes(package):
    request, _built, path = package
    from virtual_access.models import Capture

    hashes = set(Capture.objects.filter(item__request=request).values_list("sha256", flat=True))
    with zipfile.ZipFile(path) as zf:
        masters = [n for n in zf.namelist() if n.startswith("masters/")]
        assert {hashlib.sha256(zf.read(n)).hexdigest() for n in masters} == hashes


def test_multimedia_rows_give_each_file_its_hash_format_size_and_licence(package):
    _request, _built, path = package
    with zipfile.ZipFile(path) as zf:
        rows = _csv(zf, "multimedia.csv")
        occurrence_ids = {row["id"] for row in _csv(zf, "occurrence.csv")}
        assert len(rows) == 12  # 4 images × master, web, thumbnail
        for row in rows:
            data = zf.read(row["ac:accessURI"])
            assert row["ac:hashFunction"] == "SHA-256"
            assert row["ac:hashValue"] == hashlib.sha256(data).hexdigest()
            assert row["coreid"] in occurrence_ids
            assert row["dcterms:type"] == "StillImage"
            assert row["dcterms:license"] == "https://creativecommons.org/licenses/by/4.0/"
    masters = [row for row in rows if row["ac:variantLiteral"] == "Best Quality"]
    assert {row["dcterms:format"] for row in masters} == {"image/tiff"}
    assert {(row["exif:PixelXDimension"], row["exif:PixelYDimension"]) for row in masters} == {
        ("64", "48")
    }
    thumbs = [row for row in rows if row["ac:variantLiteral"] == "Thumbnail"]
    assert {row["dcterms:format"] for row in thumbs} == {"image/jpeg"}
    assert {row["exif:PixelXDimension"] for row in thumbs} == {"16"}


def test_occurrence_rows_match_the_items_specimens_and_lots_alike(package):
    request, _built, path = package
    with zipfile.ZipFile(path) as zf:
        rows = _csv(zf, "occurrence.csv")
    items = list(request.items.select_related("specimen").order_by("pk"))
    assert [row["id"] for row in rows] == [f"{request.reference}-{item.pk}" for item in items]
    by_number = {row["catalogNumber"]: row for row in rows}
    full = by_number["A-0002"]
    assert full["scientificName"] == "Carabus auratus"
    assert full["family"] == "Carabidae"
    assert full["typeStatus"] == "holotype"
    assert full["countryCode"] == "FR"
    assert full["locality"] == "Fontainebleau"
    assert full["eventDate"] == "1903-06-12"
    assert full["preparations"] == "pinned"
    assert full["occurrenceID"] == "https://data.example.org/specimen/A-0002"
    assert full["institutionCode"] == "INSTA"
    assert full["collectionCode"] == "ENT"
    assert {row["basisOfRecord"] for row in rows} == {"PreservedSpecimen"}
    lot = by_number[""]
    assert lot["occurrenceRemarks"] == "20 unsorted Carabidae, drawer 14"
    assert lot["individualCount"] == "20"
    assert lot["collectionCode"] == "ENT"


def test_the_package_is_a_darwin_core_archive_with_a_multimedia_extension(package):
    _request, _built, path = package
    with DwCAReader(str(path)) as archive:
        assert archive.descriptor.core.type == "http://rs.tdwg.org/dwc/terms/Occurrence"
        rows = list(archive)
        assert len(rows) == 4
        numbers = {row.data["http://rs.tdwg.org/dwc/terms/catalogNumber"] for row in rows}
        assert numbers == {"A-0001", "A-0002", "A-0003", ""}
        media = [ext for row in rows for ext in row.extensions]
        assert len(media) == 12
        assert all(ext.rowtype == "http://rs.tdwg.org/ac/terms/Multimedia" for ext in media)


def test_the_iiif_manifest_parses_with_iiif_prezi3_and_has_the_presentation_3_context(package):
    request, _built, path = package
    with zipfile.ZipFile(path) as zf:
        data = json.loads(zf.read("iiif-manifest.json"))
    assert data["@context"] == "http://iiif.io/api/presentation/3/context.json"
    manifest = Manifest(**data)
    assert len(manifest.items) == 4
    canvases = data["items"]
    assert {(c["width"], c["height"]) for c in canvases} == {(64, 48)}
    body = canvases[0]["items"][0]["items"][0]["body"]
    assert body["type"] == "Image"
    assert body["id"].startswith("http://testserver/") or body["id"].startswith("http")
    assert f"/virtual_access/{request.pk}/images/" in body["id"]
    assert canvases[0]["items"][0]["items"][0]["motivation"] == "painting"


def test_the_canvas_of_a_specimen_with_an_http_occurrence_id_links_to_it(package):
    _request, _built, path = package
    with zipfile.ZipFile(path) as zf:
        canvases = json.loads(zf.read("iiif-manifest.json"))["items"]
    labelled = {c["label"]["none"][0]: c for c in canvases}
    full = labelled["A-0002 Carabus auratus"]
    assert [link["id"] for link in full["seeAlso"]] == ["https://data.example.org/specimen/A-0002"]
    metadata = {pair["label"]["en"][0]: pair["value"]["none"][0] for pair in full["metadata"]}
    assert metadata["scientificName"] == "Carabus auratus"
    assert metadata["catalogNumber"] == "A-0002"
    assert "seeAlso" not in labelled["A-0001 Carabus nemoralis"]
