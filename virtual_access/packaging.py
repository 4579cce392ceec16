"""The delivery package of a digitisation request: one zip the requester downloads, with every
processed image and the data that makes it reusable.

Contents::

    masters/…  web/…  thumbnails/…   the images (masters as the station made them)
    occurrence.csv                   Darwin Core occurrences, one row per item
    multimedia.csv                   Audubon Core, one row per image file, with its SHA-256
    meta.xml                         makes the two CSVs a Darwin Core Archive (star schema)
    mids.csv                         the MIDS level each specimen reaches (``virtual_access.mids``)
    iiif-manifest.json               IIIF Presentation 3 (``virtual_access.iiif``)
    manifest.json                    every other file with its SHA-256 and size

The zip is streamed: each file goes in chunk by chunk (masters STORED, being compressed images
already; text DEFLATED), never whole in memory, with ZIP64 so sets past 4 GiB work. It is
written to a temporary file beside its final place and renamed into place (``os.replace``, atomic
on one file system) only once complete, so a worker killed mid-build leaves no half package under
a name anyone could download, and each build has its own final name, so a build that lost its
claim can ``discard`` its result without touching the winner's. A master whose bytes no longer
match the SHA-256 found at processing refuses the build rather than deliver a corrupt file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import mimetypes
import os
import re
import tempfile
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, TypedDict, cast
from xml.sax.saxutils import quoteattr

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from . import iiif, mids
from .models import Capture, CaptureStatus, DigitisationItem, ItemStatus, Licence
from .processing import pause_for_tests

if TYPE_CHECKING:
    from django.core.files.storage import Storage
    from django.db.models.fields.files import FieldFile
    from django_stubs_ext import WithAnnotations

    from .models import DigitisationRequest

    class _Processed(TypedDict):
        processed: list[Capture]  # prefetched by _items

    #: An item with its processed captures.
    ProcessedItem = WithAnnotations[DigitisationItem, _Processed]

CHUNK = 1024 * 1024
#: A package being written: hidden, beside its final place, under a name no download uses.
PART_SUFFIX = ".zip.part"
HASH_FUNCTION = "SHA-256"

DWC = "http://rs.tdwg.org/dwc/terms/"
AC = "http://rs.tdwg.org/ac/terms/"
DCTERMS = "http://purl.org/dc/terms/"
EXIF = "http://ns.adobe.com/exif/1.0/"
XMP_RIGHTS = "http://ns.adobe.com/xap/1.0/rights/"

#: occurrence.csv: (column, term URI); ``id`` is the archive's core id.
OCCURRENCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", ""),
    ("occurrenceID", DWC + "occurrenceID"),
    ("basisOfRecord", DWC + "basisOfRecord"),
    ("institutionCode", DWC + "institutionCode"),
    ("collectionCode", DWC + "collectionCode"),
    ("catalogNumber", DWC + "catalogNumber"),
    ("scientificName", DWC + "scientificName"),
    ("family", DWC + "family"),
    ("typeStatus", DWC + "typeStatus"),
    ("country", DWC + "country"),
    ("countryCode", DWC + "countryCode"),
    ("locality", DWC + "locality"),
    ("eventDate", DWC + "eventDate"),
    ("preparations", DWC + "preparations"),
    ("individualCount", DWC + "individualCount"),
    ("occurrenceRemarks", DWC + "occurrenceRemarks"),
)
#: multimedia.csv: (column, term URI); ``coreid`` links a file to its occurrence.
MULTIMEDIA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("coreid", ""),
    ("dcterms:identifier", DCTERMS + "identifier"),
    ("ac:accessURI", AC + "accessURI"),
    ("dcterms:type", DCTERMS + "type"),
    ("ac:subtypeLiteral", AC + "subtypeLiteral"),
    ("ac:variantLiteral", AC + "variantLiteral"),
    ("dcterms:format", DCTERMS + "format"),
    ("ac:hashFunction", AC + "hashFunction"),
    ("ac:hashValue", AC + "hashValue"),
    ("exif:PixelXDimension", EXIF + "PixelXDimension"),
    ("exif:PixelYDimension", EXIF + "PixelYDimension"),
    ("dcterms:license", DCTERMS + "license"),
    ("xmpRights:Owner", XMP_RIGHTS + "Owner"),
    ("ac:derivedFrom", AC + "derivedFrom"),
)
MIDS_COLUMNS = ("id", "catalogNumber", "scientificName", "midsLevel")

#: Audubon Core's variant names for the three files of an image.
VARIANTS = {"master": "Best Quality", "web": "Good Quality", "thumbnail": "Thumbnail"}
FOLDERS = {"master": "masters", "web": "web", "thumbnail": "thumbnails"}


class PackageRefused(Exception):
    """The package cannot be built from what the request holds; the reason is for a person."""


@dataclass
class _Written:
    """One file put in the zip."""

    path: str
    sha256: str
    size: int


@dataclass
class _Build:
    zf: zipfile.ZipFile
    written: list[_Written] = field(default_factory=list)

    def member(self, path: str, *, stored: bool, large: bool = False) -> _Member:
        return _Member(self, path, stored=stored, large=large)


class _Member:
    """A zip member being written: hashes and counts the bytes as they go through."""

    def __init__(self, build: _Build, path: str, *, stored: bool, large: bool) -> None:
        info = zipfile.ZipInfo(path, date_time=timezone.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.build, self.path = build, path
        self.handle = build.zf.open(info, "w", force_zip64=large)
        self.hash, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.hash.update(data)
        self.size += len(data)
        self.handle.write(data)

    def close(self) -> _Written:
        self.handle.close()
        written = _Written(self.path, self.hash.hexdigest(), self.size)
        self.build.written.append(written)
        return written

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:  # the zip cannot close over an open member; the half file is discarded anyway
            self.handle.close()


class _Text:
    """What ``csv.writer`` and ``json.dump`` write to: UTF-8 into a member."""

    def __init__(self, member: _Member) -> None:
        self.member = member

    def write(self, text: str) -> None:
        self.member.write(text.encode("utf-8"))


def _safe(name: str) -> str:
    """A file-name stem from a catalogue number (no paths, no odd characters)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80] or "item"


def _name(file: FieldFile) -> str:
    """The storage name of a stored file (only an empty file field has none)."""
    return cast(str, file.name)


def _ext(name: str, default: str = "") -> str:
    return (os.path.splitext(name)[1].lower() or default)[:8]


def _media_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _chunks(storage: Storage, name: str) -> Iterator[bytes]:
    with storage.open(name, "rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def _pixel_size(storage: Storage, name: str) -> tuple[int | None, int | None]:
    """A derivative's dimensions, from its header only (Pillow opens lazily)."""
    try:
        with storage.open(name, "rb") as source, Image.open(source) as image:
            return image.size
    except (OSError, ValueError):
        return None, None


def _occurrence_row(request: DigitisationRequest, item: DigitisationItem, lot_collection: str):
    core_id = f"{request.reference}-{item.pk}"
    specimen = item.specimen
    if specimen is None:
        return {
            "id": core_id,
            "basisOfRecord": mids.BASIS_OF_RECORD,
            "institutionCode": request.institution.code,
            "collectionCode": lot_collection,
            "individualCount": str(item.quantity),
            "occurrenceRemarks": item.description,
        }
    country = specimen.country.strip()
    is_code = bool(re.fullmatch(r"[A-Za-z]{2}", country))
    return {
        "id": core_id,
        "occurrenceID": specimen.occurrence_id,
        "basisOfRecord": mids.BASIS_OF_RECORD,
        "institutionCode": specimen.collection.institution.code,
        "collectionCode": specimen.collection.code,
        "catalogNumber": specimen.catalog_number,
        "scientificName": specimen.scientific_name,
        "family": specimen.family,
        "typeStatus": specimen.type_status,
        "country": "" if is_code else country,
        "countryCode": country.upper() if is_code else "",
        "locality": specimen.locality,
        "eventDate": specimen.event_date,
        "preparations": specimen.preparations,
    }


def _lot_collection(request: DigitisationRequest) -> str:
    """A described lot's collection code: the request's, when it names only one."""
    codes = list(request.collections.values_list("code", flat=True))
    return codes[0] if len(codes) == 1 else ""


def occurrence_rows(
    request: DigitisationRequest, items: Sequence[DigitisationItem] | None = None
) -> dict[int, dict[str, str]]:
    """Each item's Darwin Core row (``occurrence.csv``), by the item's id."""
    if items is None:
        items = list(request.items.select_related("specimen__collection__institution"))
    lot_collection = _lot_collection(request)
    return {item.pk: _occurrence_row(request, item, lot_collection) for item in items}


def _items(request: DigitisationRequest) -> list[ProcessedItem]:
    processed = Capture.objects.filter(status=CaptureStatus.PROCESSED).order_by("pk")
    return list(
        request.items.select_related("specimen__collection__institution")
        .prefetch_related(Prefetch("captures", queryset=processed, to_attr="processed"))
        .order_by("pk")
    )


def _check(items: Sequence[DigitisationItem]) -> None:
    if not items:
        raise PackageRefused(_("The request has no items."))
    waiting = [item for item in items if item.status != ItemStatus.PROCESSED]
    if waiting:
        failed = sum(item.status == ItemStatus.FAILED for item in waiting)
        raise PackageRefused(
            _("%(n)d item(s) are not processed (%(failed)d failed): %(items)s.")
            % {"n": len(waiting), "failed": failed, "items": ", ".join(map(str, waiting[:10]))}
        )


def _add_capture(
    build: _Build,
    request: DigitisationRequest,
    capture: Capture,
    stem: str,
    core_id: str,
    media: list[dict[str, str]],
) -> tuple[int | None, int | None] | None:
    """Stream a capture's three files into the zip; add their Audubon Core rows. Returns the
    web derivative's size (for the IIIF canvas)."""
    licence = Licence(request.licence).url
    owner = request.institution.name
    master_path = f"{FOLDERS['master']}/{stem}{_ext(_name(capture.file))}"
    files = [("master", capture.file, master_path)]
    for variant, file in (("web", capture.web), ("thumbnail", capture.thumbnail)):
        if file:
            files.append((variant, file, f"{FOLDERS[variant]}/{stem}{_ext(_name(file), '.jpg')}"))
    web_size = None
    for variant, file, path in files:
        name = _name(file)
        try:
            large = file.storage.size(name) > zipfile.ZIP64_LIMIT // 2
            with build.member(path, stored=True, large=large) as member:
                for chunk in _chunks(file.storage, name):
                    member.write(chunk)
        except FileNotFoundError as missing:
            raise PackageRefused(
                _("The file of %(name)s is missing.") % {"name": capture.original_name}
            ) from missing
        if variant == "master":
            if capture.sha256 and member.hash.hexdigest() != capture.sha256:
                raise PackageRefused(
                    _("The master %(name)s changed since it was processed (SHA-256 differs).")
                    % {"name": capture.original_name}
                )
            width, height = capture.width, capture.height
            media_type = capture.media_type or _media_type(name)
        else:
            width, height = _pixel_size(file.storage, name)
            media_type = _media_type(name)
            if variant == "web":
                web_size = (width, height)
        media.append(
            {
                "coreid": core_id,
                "dcterms:identifier": f"{request.reference}/{path}",
                "ac:accessURI": path,
                "dcterms:type": "StillImage",
                "ac:subtypeLiteral": "Photograph",
                "ac:variantLiteral": VARIANTS[variant],
                "dcterms:format": media_type,
                "ac:hashFunction": HASH_FUNCTION,
                "ac:hashValue": member.hash.hexdigest(),
                "exif:PixelXDimension": "" if width is None else str(width),
                "exif:PixelYDimension": "" if height is None else str(height),
                "dcterms:license": licence,
                "xmpRights:Owner": owner,
                "ac:derivedFrom": (
                    "" if variant == "master" else f"{request.reference}/{master_path}"
                ),
            }
        )
    return web_size


def _write_csv(
    build: _Build, path: str, columns: tuple[str, ...], rows: list[dict[str, str]]
) -> None:
    with build.member(path, stored=False) as member:
        writer = csv.DictWriter(_Text(member), fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _meta_xml() -> str:
    def fields(columns: tuple[tuple[str, str], ...]) -> str:
        return "\n".join(
            f'    <field index="{index}" term={quoteattr(term)}/>'
            for index, (_name, term) in enumerate(columns)
            if term
        )

    files = ' encoding="UTF-8" fieldsTerminatedBy="," linesTerminatedBy="\\r\\n"'
    files += ' fieldsEnclosedBy=\'"\' ignoreHeaderLines="1"'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<archive xmlns="http://rs.tdwg.org/dwc/text/">\n'
        f'  <core rowType="{DWC}Occurrence"{files}>\n'
        "    <files><location>occurrence.csv</location></files>\n"
        '    <id index="0"/>\n'
        f"{fields(OCCURRENCE_COLUMNS)}\n"
        "  </core>\n"
        f'  <extension rowType="{AC}Multimedia"{files}>\n'
        "    <files><location>multimedia.csv</location></files>\n"
        '    <coreid index="0"/>\n'
        f"{fields(MULTIMEDIA_COLUMNS)}\n"
        "  </extension>\n"
        "</archive>\n"
    )


def _write_text(build: _Build, path: str, text: str) -> None:
    with build.member(path, stored=False) as member:
        member.write(text.encode("utf-8"))


def _fill(build: _Build, request: DigitisationRequest, items: list[ProcessedItem]) -> dict:
    """Write every member; returns each specimen item's MIDS level."""
    licence = Licence(request.licence).url
    occurrences = occurrence_rows(request, items)
    media: list[dict[str, str]] = []
    captures: list[Capture] = []
    web_sizes: dict[int, tuple[int | None, int | None] | None] = {}
    for item in items:
        row = occurrences[item.pk]
        label = row.get("catalogNumber") or f"lot-{item.pk}"
        for capture in item.processed:
            stem = f"{_safe(label)}_{capture.pk}"
            web_sizes[capture.pk] = _add_capture(build, request, capture, stem, row["id"], media)
            captures.append(capture)
    levels: dict[int, int | None] = {}
    mids_rows = []
    for item in items:
        row = occurrences[item.pk]
        if item.specimen_id is None:
            continue
        levels[item.pk] = mids.level(
            mids.Facts(
                catalog_number=row["catalogNumber"],
                scientific_name=row["scientificName"],
                institution_code=row["institutionCode"],
                basis_of_record=row["basisOfRecord"],
                has_image=bool(item.processed),
                country=row["country"] or row["countryCode"],
                locality=row["locality"],
                event_date=row["eventDate"],
                occurrence_id=row["occurrenceID"],
                licence=licence,
            )
        )
        mids_rows.append(
            {**row, "midsLevel": "" if levels[item.pk] is None else str(levels[item.pk])}
        )
    occurrence_columns = tuple(c for c, _t in OCCURRENCE_COLUMNS)
    _write_csv(build, "occurrence.csv", occurrence_columns, list(occurrences.values()))
    _write_csv(build, "multimedia.csv", tuple(c for c, _t in MULTIMEDIA_COLUMNS), media)
    _write_csv(build, "mids.csv", MIDS_COLUMNS, mids_rows)
    _write_text(build, "meta.xml", _meta_xml())
    manifest = iiif.build_manifest(request, captures, occurrences, web_sizes=web_sizes)
    _write_text(build, "iiif-manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    listing = {
        "reference": request.reference,
        "title": request.title,
        "institution": request.institution.name,
        "licence": licence,
        "created": timezone.now().isoformat(),
        "hash_function": HASH_FUNCTION,
        "files": [{"path": w.path, "sha256": w.sha256, "size": w.size} for w in build.written],
    }
    _write_text(build, "manifest.json", json.dumps(listing, indent=2, ensure_ascii=False))
    return levels


def _sha256_of(handle: IO[bytes]) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _remove_leftovers(folder: str) -> None:
    """``.part`` files of earlier builds of this request that died before their rename (a
    killed worker). Called under the build's claim: no live build of this request owns them."""
    for entry in os.scandir(folder):
        if entry.name.startswith(".") and entry.name.endswith(PART_SUFFIX):
            os.unlink(entry.path)


def build(request: DigitisationRequest) -> dict[str, Any]:
    """Build ``request``'s package; return the request's field values to store (``package``,
    ``package_size``, ``package_sha256``). Raises ``PackageRefused`` when it cannot be built."""
    items = _items(request)
    _check(items)
    storage = request._meta.get_field("package").storage
    name = f"packages/{request.pk}/{_safe(request.reference)}-{uuid.uuid4().hex[:12]}.zip"
    final_path = storage.path(name)
    os.makedirs(os.path.dirname(final_path), exist_ok=True)
    _remove_leftovers(os.path.dirname(final_path))
    # In the final directory (so the rename cannot cross file systems), under a name that no
    # download ever looks for.
    temporary = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=os.path.dirname(final_path), prefix=".", suffix=PART_SUFFIX, delete=False
        ) as temporary:
            with zipfile.ZipFile(temporary, "w", allowZip64=True) as zf:
                levels = _fill(_Build(zf), request, items)
            temporary.flush()
            os.fsync(temporary.fileno())
            sha256 = _sha256_of(temporary)
            size = os.fstat(temporary.fileno()).st_size
        pause_for_tests("DIGITISATION_PACKAGING_PAUSE_SECONDS")
        os.replace(temporary.name, final_path)
    except BaseException:
        if temporary is not None and os.path.exists(temporary.name):
            os.unlink(temporary.name)
        raise
    for level in {*levels.values()}:
        DigitisationItem.objects.filter(
            pk__in=[pk for pk, value in levels.items() if value == level]
        ).update(mids_level=level)
    return {"package": name, "package_size": size, "package_sha256": sha256}


def discard(built: dict[str, Any]) -> None:
    """Remove the file of a build whose result was not recorded (its claim was taken over)."""
    from .models import DigitisationRequest

    name = built.get("package")
    if name:
        DigitisationRequest._meta.get_field("package").storage.delete(name)
