"""What an import did: the counts, the summary line, and the CSV of rejected rows.

The CSV (line, catalogNumber, reason) goes next to the archive unless ``--rejects`` says
where; when the archive's folder cannot be written (a read-only mount), it goes to the
temporary folder instead, and the summary line says where it is.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.utils.translation import gettext_lazy as _

from .errors import RejectsFileError
from .loaders.outcome import LoadOutcome
from .mapping import Rejection

HEADER = ("line", "catalogNumber", "reason")


@dataclass
class ImportTotals:
    """Counts over the committed batches only: after an interruption they say what is in."""

    rows: int = 0  # data rows read, rejected ones included
    last_line: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, rows: int, last_line: int, outcome: LoadOutcome, rejected: int) -> None:
        """Count a committed batch."""
        self.rows += rows
        self.last_line = last_line
        self.created += outcome.created
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged
        self.rejected += rejected

    def summary(self, rejects: Path) -> str:
        return str(
            _(
                "created %(created)d, updated %(updated)d, unchanged %(unchanged)d, "
                "rejected %(rejected)d (reasons in %(path)s)"
            )
            % {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "rejected": self.rejected,
                "path": rejects,
            }
        )


class RejectsFile:
    def __init__(self, path: Path, handle: TextIO) -> None:
        self.path = path
        self._writer = csv.writer(handle)
        self._writer.writerow(HEADER)

    def write(self, rejections: Iterable[Rejection]) -> None:
        self._writer.writerows(sorted(rejections))


@contextmanager
def open_rejects(requested: Path | None, archive: Path) -> Iterator[RejectsFile]:
    """The CSV at ``requested``, or beside the archive, or in the temporary folder."""
    archive = archive.resolve()
    if requested:
        if requested.resolve() == archive or archive in requested.resolve().parents:
            raise RejectsFileError(
                _("--rejects must not overwrite the archive: %(path)s") % {"path": requested}
            )
        candidates = [requested]
    else:
        name = f"{archive.name.removesuffix('.zip')}.rejects.csv"
        candidates = [archive.parent / name, Path(tempfile.gettempdir()) / name]
    for path in candidates:
        try:
            handle = path.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            error = exc
            continue
        with handle:
            yield RejectsFile(path, handle)
        return
    raise RejectsFileError(
        _("Cannot write the rejected rows to %(path)s: %(error)s")
        % {"path": candidates[0], "error": error.strerror or error}
    )
