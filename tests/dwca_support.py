"""Helpers shared by the ``import_dwca`` tests: archives to import, and running the command."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Sequence
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from bench.make_dwca import write_dwca
from collections_app.dwca.loaders import LOADERS
from collections_app.dwca.terms import DWC
from collections_app.models import Collection

GBIF_DOWNLOAD = Path(__file__).parent / "data" / "dwca" / "gbif-download"

# A small archive layout for hand-made rows: the id column, then the terms ELViS reads.
COLUMNS: tuple[str, ...] = (
    "http://rs.gbif.org/terms/1.0/gbifID",
    DWC + "institutionCode",
    DWC + "collectionCode",
    DWC + "catalogNumber",
    DWC + "occurrenceID",
    DWC + "scientificName",
    DWC + "family",
    DWC + "typeStatus",
    DWC + "countryCode",
    DWC + "locality",
    DWC + "eventDate",
    DWC + "preparations",
)


def occurrence(number: int, **values: str) -> tuple[str, ...]:
    """A row of ``COLUMNS`` for specimen ``number`` of INSTA:ENT; keyword arguments override."""
    row = {
        "gbifID": str(1000 + number),
        "institutionCode": "INSTA",
        "collectionCode": "ENT",
        "catalogNumber": f"ENT-{number:05d}",
        "occurrenceID": f"urn:catalog:INSTA:ENT:{number}",
        "scientificName": "Carabus auratus",
        "family": "Carabidae",
        "typeStatus": "",
        "countryCode": "FR",
        "locality": "Forêt de Fontainebleau, Seine-et-Marne",
        "eventDate": "1921-06-14",
        "preparations": "pinned",
        **values,
    }
    return tuple(row[term.rsplit("/", 1)[1]] for term in COLUMNS)


def write_occurrences(path: Path, rows: Sequence[Sequence[str]], **options) -> Path:
    write_dwca(path, COLUMNS, rows, **options)
    return path


def zip_gbif_download(tmp_path: Path) -> Path:
    """The GBIF download fixture zipped as GBIF ships it (files at the top of the zip)."""
    return Path(
        shutil.make_archive(str(tmp_path / "0000000-250310000000000"), "zip", GBIF_DOWNLOAD)
    )


def import_dwca(path: Path, collection: Collection | str, *args: str) -> str:
    """Run the command; return what it printed on stdout."""
    spec = (
        collection
        if isinstance(collection, str)
        else f"{collection.institution.code}:{collection.code}"
    )
    stdout = io.StringIO()
    call_command(
        "import_dwca", str(path), "--collection", spec, *args, stdout=stdout, stderr=io.StringIO()
    )
    return stdout.getvalue()


def rejects_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def interrupted_after_two_batches(monkeypatch) -> None:
    """The database's loader loads two batches, then the import is interrupted (Ctrl-C)."""
    loader = LOADERS[connection.vendor]
    load, calls = loader.load, []

    def interrupted(self, records):
        calls.append(load(self, records))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return calls[-1]

    monkeypatch.setattr(loader, "load", interrupted)
