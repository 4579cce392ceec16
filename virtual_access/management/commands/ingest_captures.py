"""``manage.py ingest_captures FOLDER --request DIG-…``: an imaging station's folder of masters
into a request's items.

Imaging stations name each file by the specimen's catalogue number, with a suffix for further
views: ``NHMUK010101234.tif``, ``NHMUK010101234_2.tif``, ``NHMUK010101234-label.jpg``. Each file
goes to the request's item of that specimen (the longest catalogue number the name starts
with, then a separator or nothing). Files that match no item are reported and left alone; a
file already ingested for its item (same SHA-256) is skipped, so re-running the command on a
folder that grew adds only what is new. Each capture is stored like an upload (``store_capture``)
and processed by the worker. A summary ends the run.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from collections_app.models import Specimen
from elvis.workflow.errors import WorkflowError
from virtual_access.captures import store_capture
from virtual_access.models import Capture, DigitisationItem, DigitisationRequest

#: After the catalogue number: the end of the name, or a separator and anything.
SEPARATOR = re.compile(r"$|[_\-\s.(]")
HASH_CHUNK = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def match_item(stem: str, items: dict[str, DigitisationItem]) -> DigitisationItem | None:
    """The item whose catalogue number the file's name starts with (the longest such, so that
    ``A-12`` does not take ``A-123_2.tif``); case-insensitive."""
    name = stem.casefold()
    for number in sorted(items, key=len, reverse=True):
        if name.startswith(number) and SEPARATOR.match(name, len(number)):
            return items[number]
    return None


class Command(BaseCommand):
    # A plain string: argparse cannot format a lazy translation (``--help`` would crash).
    help = (
        "Ingest a folder of masters named by catalogue number (NHMUK010101234.tif, "
        "NHMUK010101234_2.tif) into a digitisation request's items; reports unmatched files, "
        "skips files already ingested, prints a summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help=_("The imaging station's folder."))
        parser.add_argument(
            "--request", required=True, metavar="REFERENCE", help=_("e.g. DIG-2026-000012.")
        )
        parser.add_argument(
            "--as",
            dest="user",
            required=True,
            metavar="EMAIL",
            help=_("The curator (or API client) of the institution recorded as uploader."),
        )

    def handle(self, *args: Any, folder: Path, request: str, user: str, **options: Any) -> None:
        if not folder.is_dir():
            raise CommandError(_("%(folder)s is not a folder.") % {"folder": folder})
        digitisation = DigitisationRequest.objects.filter(reference=request).first()
        if digitisation is None:
            raise CommandError(_("No digitisation request %(ref)s.") % {"ref": request})
        uploader = get_user_model().objects.filter(email__iexact=user).first()
        if uploader is None:
            raise CommandError(_("No user %(email)s.") % {"email": user})
        items = {
            cast("Specimen", item.specimen).catalog_number.casefold(): item
            for item in digitisation.items.select_related("specimen").filter(specimen__isnull=False)
        }
        counts = {"ingested": 0, "already": 0, "unmatched": 0, "refused": 0}
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            if path.name.startswith("."):
                continue
            item = match_item(path.stem, items)
            if item is None:
                counts["unmatched"] += 1
                self.stderr.write(f"unmatched: {path.name} (no item with that catalogue number)")
                continue
            digest = sha256_of(path)
            if Capture.objects.filter(item=item, sha256=digest).exists() or any(
                sha256_of(Path(c.file.path)) == digest
                for c in Capture.objects.filter(item=item, sha256="", size=path.stat().st_size)
            ):
                counts["already"] += 1
                self.stdout.write(f"already ingested: {path.name}")
                continue
            try:
                with path.open("rb") as stream:
                    store_capture(item, File(stream), uploaded_by=uploader, name=path.name)
            except WorkflowError as error:  # not the institution's side, not in progress
                raise CommandError(error.message) from error
            except ValidationError as error:
                counts["refused"] += 1
                self.stderr.write(f"refused: {path.name}: {' '.join(error.messages)}")
                continue
            counts["ingested"] += 1
            specimen = cast("Specimen", item.specimen)  # items were chosen by specimen
            self.stdout.write(f"ingested: {path.name} → {specimen.catalog_number}")
        self.stdout.write(
            _(
                "%(ref)s: %(ingested)d ingested, %(already)d already ingested, "
                "%(unmatched)d unmatched, %(refused)d refused."
            )
            % {"ref": digitisation.reference, **counts}
        )
