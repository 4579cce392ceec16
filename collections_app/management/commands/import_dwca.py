"""``manage.py import_dwca PATH --collection INST:COLL``: a Darwin Core Archive into specimens.

The work is in ``collections_app.dwca``; this turns its outcomes into what a person at a
terminal needs: a progress line, a one-line summary, and exit status 130 with "re-run to
finish" when interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from collections_app.dwca.errors import ImportFailed
from collections_app.dwca.importer import BATCH_SIZE, ImportRun
from collections_app.dwca.indexes import IndexMode
from collections_app.dwca.interrupt import sigterm_as_interrupt
from collections_app.dwca.target import find_collection


class Command(BaseCommand):
    # No system checks: they check the site's configuration for the web and for a deploy
    # (``runserver``, ``check --deploy`` in CI), none of which an import uses, and cost every
    # run half a second before its first row (a nightly job importing many small archives
    # paid it for each). The import's own checks (archive, collection, codes) still run.
    requires_system_checks: list[str] = []
    # A plain string: argparse cannot format a lazy translation (``--help`` would crash).
    help = (
        "Import the occurrences of a Darwin Core Archive (zip, or its unpacked folder) as "
        "specimens of one collection. Upserts on the catalogue number: re-importing changes "
        "nothing, an edited archive updates only what changed. Rejected rows and why are "
        "written to a CSV. Interrupted, it keeps whole batches; re-run to finish."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path",
            type=Path,
            metavar="PATH",
            help=_("The archive: a zip (e.g. a GBIF download) or its unpacked folder."),
        )
        parser.add_argument(
            "--collection",
            required=True,
            metavar="INST:COLL",
            help=_('Institution code and collection code, e.g. NHM:ENT or "CSIC (MNCN):ENT".'),
        )
        parser.add_argument(
            "--rejects",
            type=Path,
            metavar="CSV",
            help=_("Where to write the rejected rows (default: beside the archive)."),
        )
        parser.add_argument(
            "--ignore-codes",
            action="store_true",
            help=_("Import rows whose institutionCode or collectionCode differ from --collection."),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            metavar="ROWS",
            help=_("Rows per transaction (default %(default)s)."),
        )
        parser.add_argument(
            "--indexes",
            choices=[mode.value for mode in IndexMode],
            default=IndexMode.AUTO.value,
            help=_(
                "PostgreSQL: keep the search indexes live during the load, or drop them and "
                "rebuild them after it (faster for big loads; search is slow and specimen "
                "writes wait meanwhile). auto rebuilds for 200,000 new rows or more that are "
                "also a quarter of the table or more (default %(default)s)."
            ),
        )
        parser.add_argument(
            "--mappers",
            type=int,
            metavar="N",
            help=_(
                "Processes mapping the rows of an unquoted archive at once (default: the "
                "DWCA_IMPORT_MAPPERS setting, one per core up to 4; 1 reads it in one process)."
            ),
        )
        parser.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            help=_("Report progress on stderr (default: when stderr is a terminal)."),
        )

    def handle(
        self,
        *args: Any,
        path: Path,
        collection: str,
        rejects: Path | None,
        ignore_codes: bool,
        batch_size: int,
        indexes: str,
        mappers: int | None,
        progress: bool | None,
        **options: Any,
    ) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size must be 1 or more."))
        if mappers is not None and mappers < 1:
            raise CommandError(_("--mappers must be 1 or more."))
        try:
            target = find_collection(collection)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        show_progress = self.stderr.isatty() if progress is None else progress
        run = ImportRun(
            path,
            target,
            check_codes=not ignore_codes,
            batch_size=batch_size,
            rejects=rejects,
            progress=self.stderr if show_progress else None,
            indexes=IndexMode(indexes),
            mappers=mappers,
        )
        try:
            with sigterm_as_interrupt():
                run.execute()
        except ImportFailed as exc:
            raise CommandError(self._stopped(run, str(exc))) from exc
        except KeyboardInterrupt:
            self._summary(run)
            raise CommandError(
                _(
                    "Interrupted. %(rows)d rows (up to line %(line)d) are imported, in whole "
                    "batches; re-run the same command to finish."
                )
                % {"rows": run.totals.rows, "line": run.totals.last_line},
                returncode=130,
            ) from None
        self._summary(run)

    def _summary(self, run: ImportRun) -> None:
        if run.rejects_path is not None:
            self.stdout.write(run.totals.summary(run.rejects_path))
        if indexes := run.indexes.summary():
            self.stdout.write(indexes)

    def _stopped(self, run: ImportRun, reason: str) -> str:
        """The reason, and what the batches before it left in the catalogue."""
        if not run.totals.rows:
            return reason
        self._summary(run)
        return str(
            _(
                "%(reason)s The %(rows)d rows before it (up to line %(line)d) are imported; "
                "correct the archive and re-run to finish."
            )
            % {"reason": reason, "rows": run.totals.rows, "line": run.totals.last_line}
        )
