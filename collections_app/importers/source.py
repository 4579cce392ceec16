"""A recognised input file: what it holds, when to import it, and how to read its records."""

from __future__ import annotations

import codecs
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models

from .report import RowContext


class Phase(enum.IntEnum):
    """Import order: whatever order the paths come in, rows only refer to earlier phases."""

    INSTITUTION_TABLES = 0
    LOCATION_TABLES = 1
    GRSCICOLL_INSTITUTIONS = 2
    FACILITY_TABLES = 3
    GRSCICOLL_COLLECTIONS = 4


class SourceError(Exception):
    """A file that cannot be read or is not one the importer knows."""


@dataclass(frozen=True)
class Source:
    path: Path
    label: str
    encoding: str
    phase: Phase
    model: type[models.Model]
    records: Callable[[], Iterable[tuple[str, Any]]]
    handle: Callable[[Any, RowContext], None]


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with.

    Byte-order marks decide first (Excel writes UTF-8 and UTF-16 with one); then strict UTF-8,
    which almost never accepts text in another encoding by accident; then Windows-1252, the usual
    "Latin-1" of spreadsheets (a superset of ISO-8859-1 for printable text); Latin-1 last, which
    decodes anything, for the few bytes Windows-1252 leaves undefined.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"
