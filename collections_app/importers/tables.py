"""The ELViS / DiSSCo tab-separated tables: institutions, their locations, and facility instruments.

A table is recognised by its header (column names, any order, any case, extra columns ignored),
not by its file name. Rows are checked against the header, so a short row is reported rather
than read into the wrong columns.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from collections_app.models import Facility, Institution, Instrument

from . import values
from .records import converted, find_institution, save
from .report import RowContext, RowError
from .source import Phase, Source

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Row = dict[str, str]

# Table column -> (Institution field, converter). Shared by the institution and location tables.
INSTITUTION_COLUMNS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "name": ("name", values.text),
    "grid": ("grid_id", values.grid_id),
    "cetaf": ("cetaf_id", values.text),
    "total_specimens_all_coll": ("total_specimens", values.count),
    "dna_bank": ("has_dna_bank", values.yes_no),
    "seed_bank": ("has_seed_bank", values.yes_no),
    "country": ("country", values.country),
    "city": ("city", values.text),
    "website": ("website", values.text),
}

_DIGITISATION = re.compile(r"digiti[sz]", re.IGNORECASE)
_LAB = re.compile(r"\blab|microscop|analy[st]|spectromet|molecular", re.IGNORECASE)


def guess_facility_type(name: str) -> str:
    """A first guess from the name; curators correct it, and re-imports never overwrite it."""
    if _DIGITISATION.search(name):
        return Facility.Type.DIGITISATION
    if _LAB.search(name):
        return Facility.Type.LAB
    return Facility.Type.OTHER


def _cell(row: Row, column: str, label: StrOrPromise) -> str:
    value = row.get(column, "")
    if not value:
        raise RowError(_("empty %(label)s") % {"label": label})
    return value


def _institution_values(row: Row) -> dict[str, Any]:
    return converted(
        {
            field: (column, convert, row[column])
            for column, (field, convert) in INSTITUTION_COLUMNS.items()
            if column in row
        }
    )


def import_institution_row(row: Row, ctx: RowContext) -> None:
    code = _cell(row, "abbv", _("code (abbv)"))
    _cell(row, "name", _("name"))
    ctx.note_key(code, code)
    fields = _institution_values(row)
    institution = find_institution(ctx, code=code, grid_id=fields.get("grid_id"))
    if institution is None:
        institution = Institution()
        fields["code"] = code
    save(institution, fields, ctx)


def import_location_row(row: Row, ctx: RowContext) -> None:
    code = _cell(row, "abbv", _("code (abbv)"))
    ctx.note_key(code, code)
    institution = Institution.objects.filter(code=code).first()
    if institution is None:
        raise RowError(_("unknown institution code %(code)r") % {"code": code})
    save(institution, _institution_values(row), ctx)


def import_facility_row(row: Row, ctx: RowContext) -> None:
    """One instrument or service; its facility is created the first time a row names it."""
    code = _cell(row, "institutioncode", "institutionCode")
    facility_name = _cell(row, "facilityname", "facilityName")
    grid_id = converted({"grid_id": ("GRID", values.grid_id, row.get("grid"))}).get("grid_id")
    institution = find_institution(ctx, code=code, grid_id=grid_id)
    if institution is None:
        raise RowError(_("unknown institution code %(code)r") % {"code": code})

    facility = Facility.objects.filter(institution=institution, name=facility_name).first()
    if facility is None:
        facility = Facility(institution=institution, type=guess_facility_type(facility_name))
    save(facility, {"name": facility_name}, ctx)

    # A row without an instrument name describes the facility as a whole (real RBINS rows do).
    name = row.get("instrumentorservicename") or facility_name
    ctx.note_key((institution.pk, facility_name, name), f"{code} / {facility_name} / {name}")
    instrument = Instrument.objects.filter(facility=facility, name=name).first() or Instrument(
        facility=facility
    )
    fields = {"name": name}
    if description := row.get("instrumentorservicedescription"):
        fields["description"] = description
    save(instrument, fields, ctx)


@dataclass(frozen=True)
class TableKind:
    label: StrOrPromise
    required: frozenset[str]
    phase: Phase
    model: type[models.Model]
    import_row: Callable[[Row, RowContext], None]


# Most specific first: a header is read as the first kind whose required columns it has.
TABLE_KINDS = (
    TableKind(
        _("facility table"),
        frozenset({"institutioncode", "facilityname", "instrumentorservicename"}),
        Phase.FACILITY_TABLES,
        Instrument,
        import_facility_row,
    ),
    TableKind(
        _("institution table"),
        frozenset({"abbv", "name"}),
        Phase.INSTITUTION_TABLES,
        Institution,
        import_institution_row,
    ),
    TableKind(
        _("institution location table"),
        frozenset({"abbv", "country"}),
        Phase.LOCATION_TABLES,
        Institution,
        import_location_row,
    ),
)


def recognise(path: Path, text: str, encoding: str) -> Source | None:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    if "\t" not in first_line:
        return None
    header = [column.strip().lower() for column in first_line.split("\t")]
    kind = next((k for k in TABLE_KINDS if k.required <= set(header)), None)
    if kind is None:
        return None
    return Source(
        path=path,
        label=str(kind.label),
        encoding=encoding,
        phase=kind.phase,
        model=kind.model,
        records=partial(_rows, text),
        handle=partial(_import_cells, header, kind.import_row),
    )


def _rows(text: str) -> Iterator[tuple[str, list[str]]]:
    """Data rows with the line they start on; blank lines are not rows."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    next(reader, None)
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield str(_("line %(line)d") % {"line": start}), cells


def _import_cells(
    header: list[str],
    import_row: Callable[[Row, RowContext], None],
    cells: list[str],
    ctx: RowContext,
) -> None:
    if len(cells) != len(header):
        raise RowError(
            _("expected %(expected)d tab-separated columns, found %(found)d")
            % {"expected": len(header), "found": len(cells)}
        )
    import_row({column: cell.strip() for column, cell in zip(header, cells, strict=True)}, ctx)
