"""``manage.py import_institutions PATH [PATH ...]``: registry reference data in, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from collections_app.importers.discovery import discover
from collections_app.importers.report import ImportReport
from collections_app.importers.runner import import_sources
from collections_app.importers.source import SourceError


class Command(BaseCommand):
    # A plain string: argparse cannot format a lazy translation (``--help`` would crash).
    help = (
        "Import institutions, facilities and collections from the ELViS institution and facility "
        "tables (TSV) and from GRSciColl JSON (GBIF registry API). Re-running updates, never "
        "duplicates. PATH is a file or a folder of such files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    def handle(self, *args: Any, paths: list[Path], verbosity: int, **options: Any) -> None:
        say = self.stdout.write if verbosity > 0 else _quiet
        try:
            sources = discover(paths, ignored=say)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        for source in sources:
            say(f"{source.path}: {source.label} ({source.encoding})")
        report = ImportReport(write_problem=self.stderr.write)
        import_sources(sources, report)
        for line in report.summary():
            say(line)


def _quiet(message: str) -> None:
    """``--verbosity 0``: problems still go to stderr, nothing else is said."""
