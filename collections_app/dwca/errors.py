"""Why an import cannot start or go on; the message is for the person running it."""

from __future__ import annotations


class ImportFailed(Exception):
    """The import stopped (or never started); batches committed before stay committed."""


class ArchiveError(ImportFailed):
    """An archive that cannot be imported at all (a row that cannot is rejected instead)."""


class UnknownCollection(ImportFailed):
    """``--collection`` names no collection; the message lists what exists."""


class RejectsFileError(ImportFailed):
    """The CSV of rejected rows cannot be written where it was asked to go."""
