"""``bench/make_dwca.py N``: a realistic synthetic Darwin Core Archive of N occurrences.

The archive looks like a GBIF download of one collection: ``meta.xml``, a tab-separated
``occurrence.txt`` with GBIF's columns (``gbifID`` first) and an EML ``metadata.xml``. Names and
places are the curated real ones of ``collections_app.demo``, so that searches and filters behave
as they would on real catalogue data (accented localities included).

Rows go straight into the zip as they are made, so memory stays flat whatever N. The same seed
always gives the same archive; ``--edit-fraction F`` gives that archive with about a fraction F of
its records changed, as a re-publication would (re-identified, re-georeferenced, typified).

Usage: ``python bench/make_dwca.py 1000000 --out var/dwca-1m.zip`` (or ``python -m
bench.make_dwca …``).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collections_app.demo.places import places_for
from collections_app.demo.plans import PLANS
from collections_app.demo.taxa import TAXA
from collections_app.dwca.terms import DC, DWC, GBIF, OCCURRENCE

# The columns of a GBIF occurrence download that ELViS reads, plus a few it does not, in GBIF's
# order: gbifID, then Dublin Core, then Darwin Core, then GBIF's own terms.
COLUMNS: tuple[str, ...] = (
    GBIF + "gbifID",
    DC + "license",
    DC + "modified",
    DWC + "institutionCode",
    DWC + "collectionCode",
    DWC + "basisOfRecord",
    DWC + "occurrenceID",
    DWC + "catalogNumber",
    DWC + "preparations",
    DWC + "eventDate",
    DWC + "year",
    DWC + "month",
    DWC + "day",
    DWC + "countryCode",
    DWC + "locality",
    DWC + "typeStatus",
    DWC + "scientificName",
    DWC + "family",
    DWC + "genus",
    DWC + "specificEpithet",
    DWC + "taxonRank",
    GBIF + "datasetKey",
)
COLUMN = {term.rsplit("/", 1)[1]: index for index, term in enumerate(COLUMNS)}

# Mostly not types, as in real collections.
TYPE_STATUSES = ("", "Holotype", "Paratype", "Syntype", "Lectotype", "Paralectotype")
TYPE_WEIGHTS = (965, 6, 16, 7, 4, 2)
# The preparations of each taxonomic group, taken from the demo collection plans.
PREPARATIONS: dict[str, tuple[str, ...]] = {
    plan.group: plan.preparations for plan in reversed(PLANS.values())
}


@dataclass(frozen=True)
class ArchiveSpec:
    """What to generate. The group of taxa follows the collection code (ENT: insects, HERB:
    plants…) when it is one of the demo plans; any other code gets all groups."""

    rows: int
    seed: int = 1
    institution_code: str = "NHM"
    collection_code: str = "ENT"
    edit_fraction: float = 0.0


class SyntheticOccurrences:
    """The rows of an archive, made one at a time; ``edited`` counts the changed ones so far.

    Base rows and edits draw from separate random streams, so that the k-th row of an edited
    archive is the k-th row of the original, changed or not.
    """

    def __init__(self, spec: ArchiveSpec) -> None:
        self.spec = spec
        self.edited = 0
        plan = PLANS.get(spec.collection_code)
        groups = [plan.group] if plan else sorted(TAXA)
        self._families = [(group, family) for group in groups for family in sorted(TAXA[group])]

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        spec = self.spec
        rng = random.Random(f"dwca:{spec.seed}")
        edits = random.Random(f"dwca:{spec.seed}:edits")
        dataset_key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        number = rng.randrange(1_000, 200_000)
        gbif_id = rng.randrange(1_000_000_000, 4_000_000_000)
        for _ in range(spec.rows):
            number += rng.randint(1, 25)
            gbif_id += rng.randint(1, 9)
            group, row = self._row(rng, number, gbif_id, dataset_key)
            if spec.edit_fraction and edits.random() < spec.edit_fraction:
                _edit(row, TAXA[group][row[COLUMN["family"]]], edits)
                self.edited += 1
            yield tuple(row)

    def _row(
        self, rng: random.Random, number: int, gbif_id: int, dataset_key: str
    ) -> tuple[str, list[str]]:
        spec = self.spec
        group, family = rng.choice(self._families)
        genus = rng.choice(sorted(TAXA[group][family]))
        epithet = rng.choice(TAXA[group][family][genus])
        country, locality = rng.choice(places_for(group, family, genus, epithet))
        catalog = f"{spec.collection_code}-{number:07d}"
        event_date, year, month, day = _event_date(rng)
        modified = f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        values = {
            "gbifID": str(gbif_id),
            "license": "CC_BY_4_0",
            "modified": f"{modified}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
            "institutionCode": spec.institution_code,
            "collectionCode": spec.collection_code,
            "basisOfRecord": "PRESERVED_SPECIMEN" if group != "fossils" else "FOSSIL_SPECIMEN",
            "occurrenceID": f"urn:catalog:{spec.institution_code}:{spec.collection_code}:{catalog}",
            "catalogNumber": catalog,
            "preparations": rng.choice(PREPARATIONS[group]),
            "eventDate": event_date,
            "year": year,
            "month": month,
            "day": day,
            "countryCode": country,
            "locality": locality,
            "typeStatus": rng.choices(TYPE_STATUSES, TYPE_WEIGHTS)[0],
            "scientificName": f"{genus} {epithet}",
            "family": family,
            "genus": genus,
            "specificEpithet": epithet,
            "taxonRank": "SPECIES",
            "datasetKey": dataset_key,
        }
        return group, [values[term.rsplit("/", 1)[1]] for term in COLUMNS]


def _edit(row: list[str], genera: Mapping[str, tuple[str, ...]], rng: random.Random) -> None:
    """Change the row as a curator would; every kind of edit really changes a value."""
    kind = rng.randrange(3)
    others = [
        (genus, epithet)
        for genus, epithets in sorted(genera.items())
        for epithet in epithets
        if f"{genus} {epithet}" != row[COLUMN["scientificName"]]
    ]
    if kind == 0 and others:  # re-identified within the family
        genus, epithet = rng.choice(others)
        row[COLUMN["scientificName"]] = f"{genus} {epithet}"
        row[COLUMN["genus"]], row[COLUMN["specificEpithet"]] = genus, epithet
    elif kind == 1:  # typified, or a type status withdrawn
        row[COLUMN["typeStatus"]] = "" if row[COLUMN["typeStatus"]] else "Paratype"
    else:  # the locality made more precise
        row[COLUMN["locality"]] += f", {rng.randint(1, 12)} km {rng.choice('NESW')}"


def _event_date(rng: random.Random) -> tuple[str, str, str, str]:
    """eventDate with GBIF's year, month and day: mostly a day, sometimes a month, a year or a
    collecting trip (an interval)."""
    year, month, day = rng.randint(1835, 2024), rng.randint(1, 12), rng.randint(1, 20)
    shape = rng.random()
    if shape < 0.05:
        return str(year), str(year), "", ""
    if shape < 0.15:
        return f"{year}-{month:02d}", str(year), str(month), ""
    if shape < 0.2:
        end = day + rng.randint(1, 8)
        return f"{year}-{month:02d}-{day:02d}/{year}-{month:02d}-{end:02d}", str(year), "", ""
    return f"{year}-{month:02d}-{day:02d}", str(year), str(month), str(day)


def write_dwca(
    path: Path,
    terms: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    row_type: str = OCCURRENCE,
    encoding: str = "UTF-8",
    delimiter: str = "\t",
    enclosure: str = "",
    header_lines: int = 1,
    defaults: Mapping[str, str] | None = None,
    title: str = "Occurrences",
) -> int:
    """Write a Darwin Core Archive (zip) whose core is ``occurrence.txt``; return the row count.

    The first column is the core id. ``defaults`` become meta.xml fields without a column. The
    rows are written as given (a short row stays short), so tests can build broken archives too.
    """
    with zipfile.ZipFile(path, "w") as archive:
        meta = _meta_xml(terms, row_type, encoding, delimiter, enclosure, header_lines, defaults)
        archive.writestr(_entry("meta.xml"), meta)
        archive.writestr(_entry("metadata.xml"), _eml(title))
        with archive.open(_entry("occurrence.txt"), "w", force_zip64=True) as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            count = _write_rows(text, terms, rows, delimiter, enclosure, header_lines)
            text.flush()
            text.detach()
    return count


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date, so that the same rows give the same bytes."""
    entry = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def _write_rows(
    text: io.TextIOWrapper,
    terms: Sequence[str],
    rows: Iterable[Sequence[str]],
    delimiter: str,
    enclosure: str,
    header_lines: int,
) -> int:
    header = [term.rsplit("/", 1)[1] for term in terms]
    if enclosure:
        writer = csv.writer(
            text,
            delimiter=delimiter,
            quotechar=enclosure,
            quoting=csv.QUOTE_ALL,
            lineterminator="\n",
        )
        write = writer.writerow
    else:

        def write(values: Sequence[str]) -> None:
            text.write(delimiter.join(values) + "\n")

    for _ in range(header_lines):
        write(header)
    count = 0
    for count, values in enumerate(rows, start=1):  # noqa: B007 (the count is the result)
        write(values)
    return count


def _meta_xml(
    terms: Sequence[str],
    row_type: str,
    encoding: str,
    delimiter: str,
    enclosure: str,
    header_lines: int,
    defaults: Mapping[str, str] | None,
) -> str:
    fields = [
        f"    <field index={quoteattr(str(i))} term={quoteattr(t)}/>" for i, t in enumerate(terms)
    ]
    fields += [
        f"    <field term={quoteattr(term)} default={quoteattr(value)}/>"
        for term, value in (defaults or {}).items()
    ]
    attributes = {
        "encoding": encoding,
        "fieldsTerminatedBy": delimiter.encode("unicode_escape").decode("ascii"),
        "linesTerminatedBy": "\\n",
        "fieldsEnclosedBy": enclosure,
        "ignoreHeaderLines": str(header_lines),
        "rowType": row_type,
    }
    core = " ".join(f"{name}={quoteattr(value)}" for name, value in attributes.items())
    return "\n".join(
        (
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<archive xmlns="http://rs.tdwg.org/dwc/text/" metadata="metadata.xml">',
            f"  <core {core}>",
            "    <files>",
            "      <location>occurrence.txt</location>",
            "    </files>",
            '    <id index="0"/>',
            *fields,
            "  </core>",
            "</archive>",
            "",
        )
    )


def _eml(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<eml:eml xmlns:eml="https://eml.ecoinformatics.org/eml-2.2.0" packageId="synthetic" '
        'system="ELViS">\n'
        f"  <dataset><title>{escape(title)}</title></dataset>\n"
        "</eml:eml>\n"
    )


def make_archive(path: Path, spec: ArchiveSpec) -> SyntheticOccurrences:
    """Write the archive ``spec`` describes; the result tells how many rows were edited."""
    occurrences = SyntheticOccurrences(spec)
    write_dwca(
        path,
        COLUMNS,
        occurrences,
        title=f"Synthetic {spec.institution_code}:{spec.collection_code} (seed {spec.seed})",
    )
    return occurrences


def _fraction(value: str) -> float:
    fraction = float(value)
    if not 0 <= fraction <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return fraction


def _count(value: str) -> int:
    count = int(value)
    if count < 0:
        raise argparse.ArgumentTypeError("must be zero or more")
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=_count, metavar="N", help="number of occurrences")
    parser.add_argument("--out", type=Path, help="zip to write (default: dwca-N.zip)")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same archive")
    parser.add_argument("--institution-code", default="NHM")
    parser.add_argument("--collection-code", default="ENT")
    parser.add_argument(
        "--edit-fraction",
        type=_fraction,
        default=0.0,
        help="change about this fraction of the rows (0-1), for re-import benchmarks",
    )
    args = parser.parse_args(argv)
    spec = ArchiveSpec(
        rows=args.rows,
        seed=args.seed,
        institution_code=args.institution_code,
        collection_code=args.collection_code,
        edit_fraction=args.edit_fraction,
    )
    out = args.out or Path(f"dwca-{args.rows}.zip")
    occurrences = make_archive(out, spec)
    print(f"{out}: {spec.rows} occurrences ({occurrences.edited} edited)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
