"""GRSciColl institutions and collections, as the GBIF registry API returns them.

``GET https://api.gbif.org/v1/grscicoll/institution`` (and ``/collection``) answer a page
``{offset, limit, endOfRecords, count, results: [...]}``; a saved ``results`` list and a single
record (``/institution/{key}``) are accepted too. A file holds collections when its records carry
``institutionKey`` or collection vocabularies; otherwise institutions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from collections_app.models import Collection, Institution

from . import values
from .records import converted, find_institution, save
from .report import RowContext, RowError
from .source import Phase, Source, SourceError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

RECORD_KEYS = frozenset({"key", "code", "name"})
COLLECTION_KEYS = frozenset({"institutionKey", "contentTypes", "preservationTypes"})


def recognise(path: Path, text: str, encoding: str) -> Source | None:
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SourceError(_("invalid JSON: %(error)s") % {"error": exc}) from exc
    records = _records(data)
    if records is None:
        return None
    label: StrOrPromise
    model: type[Collection | Institution]
    if any(isinstance(record, dict) and COLLECTION_KEYS & record.keys() for _, record in records):
        label, phase, model, handle = (
            _("GRSciColl collections"),
            Phase.GRSCICOLL_COLLECTIONS,
            Collection,
            import_collection,
        )
    else:
        label, phase, model, handle = (
            _("GRSciColl institutions"),
            Phase.GRSCICOLL_INSTITUTIONS,
            Institution,
            import_institution,
        )
    if isinstance(data, dict) and data.get("endOfRecords") is False:
        label = _("%(label)s, one page (%(shown)d of %(count)s records; fetch the others too)") % {
            "label": label,
            "shown": len(records),
            "count": data.get("count", "?"),
        }
    return Source(
        path=path,
        label=str(label),
        encoding=encoding,
        phase=phase,
        model=model,
        records=lambda: records,
        handle=handle,
    )


def _records(data: object) -> list[tuple[str, object]] | None:
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        records = [(f"results[{i}]", record) for i, record in enumerate(data["results"])]
    elif isinstance(data, list):
        records = [(f"[{i}]", record) for i, record in enumerate(data)]
    elif isinstance(data, dict) and RECORD_KEYS & data.keys():
        return [("record", data)]
    else:
        return None
    if records and not any(isinstance(record, dict) for _, record in records):
        return None
    return records


def import_institution(record: object, ctx: RowContext) -> None:
    record, code, name, key = _identity(record)
    ctx.note_key(key or code, code)
    identifiers = _identifiers(record)
    address = _address(record)
    fields = converted(
        {
            "name": ("name", values.text, name),
            "description": ("description", values.text, record.get("description")),
            "grscicoll_key": ("key", values.text, key),
            "ror_id": ("identifiers ROR", values.ror_id, identifiers.get("ROR")),
            "grid_id": ("identifiers GRID", values.grid_id, identifiers.get("GRID")),
            "country": ("address country", values.country, address.get("country")),
            "city": ("address city", values.text, address.get("city")),
            "address": ("address", values.text, _postal_lines(address)),
            "contact_email": ("email", values.text, _first_email(record)),
            "website": ("homepage", values.text, record.get("homepage")),
            "total_specimens": ("numberSpecimens", _known_count, record.get("numberSpecimens")),
        }
    )
    institution = find_institution(ctx, code=code, grid_id=fields.get("grid_id"), grscicoll_key=key)
    if institution is None:
        institution = Institution()
        fields["code"] = code
    save(institution, fields, ctx)


def import_collection(record: object, ctx: RowContext) -> None:
    record, code, name, key = _identity(record)
    institution = _owner(record)
    ctx.note_key(key or (institution.pk, code), f"{institution.code}:{code}")
    collection = Collection.objects.filter(grscicoll_key=key).first() if key else None
    if collection is None:
        collection = Collection.objects.filter(institution=institution, code=code).first()
        if collection is not None and key and collection.grscicoll_key not in ("", key):
            raise RowError(
                _("collection %(code)r is already linked to GRSciColl collection %(key)s")
                % {"code": code, "key": collection.grscicoll_key}
            )
    fields = converted(
        {
            "name": ("name", values.text, name),
            "description": ("description", values.text, record.get("description")),
            "grscicoll_key": ("key", values.text, key),
            "discipline": ("contentTypes", _labels(120), record.get("contentTypes")),
            "taxonomic_scope": (
                "taxonomicCoverage",
                _shortened_text(255),
                record.get("taxonomicCoverage"),
            ),
            "preservation_types": (
                "preservationTypes",
                _labels(255),
                record.get("preservationTypes"),
            ),
            "specimen_count": ("numberSpecimens", _known_count, record.get("numberSpecimens")),
            "contact_email": ("email", values.text, _first_email(record)),
        }
    )
    fields["institution"] = institution
    if collection is None:
        collection = Collection()
        fields["code"] = code
    save(collection, fields, ctx)


def _identity(record: object) -> tuple[dict[str, Any], str, str, str | None]:
    if not isinstance(record, dict):
        raise RowError(_("not a JSON object"))
    if record.get("deleted"):
        raise RowError(_("deleted in GRSciColl on %(date)s") % {"date": record["deleted"]})
    code, name = values.text(record.get("code")), values.text(record.get("name"))
    if code is None or name is None:
        raise RowError(_("a GRSciColl record needs both code and name"))
    return record, code, name, values.text(record.get("key"))


def _owner(record: dict[str, Any]) -> Institution:
    """The collection's institution: by GRSciColl ``institutionKey``, else by institution code."""
    institution_key = values.text(record.get("institutionKey"))
    institution_code = values.text(record.get("institutionCode"))
    if institution_key:
        found = Institution.objects.filter(grscicoll_key=institution_key).first()
        if found is not None:
            return found
    if institution_code:
        found = Institution.objects.filter(code=institution_code).first()
        # A code match linked to another GRSciColl institution is a namesake, not the owner.
        if found is not None and not (institution_key and found.grscicoll_key):
            return found
    raise RowError(
        _("unknown institution (institutionKey %(key)r, institutionCode %(code)r)")
        % {"key": institution_key, "code": institution_code}
    )


def _identifiers(record: dict[str, Any]) -> dict[str, str]:
    """The first identifier of each type, e.g. ``{"ROR": "https://ror.org/…"}``."""
    found: dict[str, str] = {}
    for identifier in record.get("identifiers") or ():
        if isinstance(identifier, dict) and identifier.get("type") and identifier.get("identifier"):
            found.setdefault(str(identifier["type"]).upper(), str(identifier["identifier"]))
    return found


def _address(record: dict[str, Any]) -> dict[str, Any]:
    """The physical address if it says anything, else the mailing address."""
    for name in ("address", "mailingAddress"):
        address = record.get(name)
        if isinstance(address, dict) and any(
            address.get(part) for part in ("address", "city", "country")
        ):
            return address
    return {}


def _postal_lines(address: dict[str, Any]) -> str:
    town = " ".join(
        part
        for part in (values.text(address.get("postalCode")), values.text(address.get("city")))
        if part
    )
    lines = (values.text(address.get("address")), town, values.text(address.get("province")))
    return "\n".join(line for line in lines if line)


def _first_email(record: dict[str, Any]) -> str | None:
    emails = record.get("email")
    if isinstance(emails, str):
        emails = [emails]
    return next((values.text(email) for email in emails or () if values.text(email)), None)


def _known_count(value: object) -> int | None:
    """GRSciColl stores 0 when nobody entered a number (gbif/registry#389): 0 means unknown."""
    return values.count(value) or None


def _labels(limit: int) -> Callable[[object], str | None]:
    """``["BIOLOGICAL_PRESERVED_ORGANISMS", "SampleDried"]`` -> ``Biological preserved …``."""

    def convert(items: object) -> str | None:
        if isinstance(items, str):
            items = [items]
        if items is None:
            return None
        if not isinstance(items, list):
            raise ValueError(_("expected a list of terms"))
        labels = [_label(str(item)) for item in items if values.text(item)]
        return values.shortened(", ".join(labels), limit) or None

    return convert


def _label(term: str) -> str:
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", term).replace("_", " ").split()
    return " ".join(words).capitalize()


def _shortened_text(limit: int) -> Callable[[object], str | None]:
    return lambda value: values.shortened(values.text(value), limit)
