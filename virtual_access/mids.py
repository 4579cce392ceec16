"""The MIDS level (Minimum Information about a Digital Specimen, TDWG) a delivered specimen
reaches, computed from the data we hold, so the requester sees how publishable each one is.

Our rule, a simplified reading of MIDS with the data ELViS has (each level needs the one below):

- **0** — the specimen is identified: it has a catalogue number.
- **1** — and it says what it is and whose: a scientific name, the holding institution's code
  and the basis of record (always ``PreservedSpecimen`` for a catalogued specimen here).
- **2** — and it is imaged (at least one processed image) and says where and when: a country
  or a locality, and an event date.
- **3** — and it is citable and reusable: its ``occurrenceID`` is a stable http(s) URI (as CETAF
  stable identifiers are) and the images carry a licence.

Described lots are not catalogued specimens: MIDS does not apply to them (no level).
"""

from __future__ import annotations

from dataclasses import dataclass

BASIS_OF_RECORD = "PreservedSpecimen"


def is_stable_uri(identifier: str) -> bool:
    """An http(s) URI: a resolvable, stable identifier (CETAF style), not a local code."""
    value = (identifier or "").strip().lower()
    return value.startswith(("http://", "https://")) and len(value) > len("https://x")


@dataclass(frozen=True)
class Facts:
    """What the level depends on, gathered by the package builder."""

    catalog_number: str
    scientific_name: str
    institution_code: str
    basis_of_record: str
    has_image: bool
    country: str
    locality: str
    event_date: str
    occurrence_id: str
    licence: str


def level(facts: Facts) -> int | None:
    """The highest MIDS level ``facts`` reach, or ``None`` when not even level 0."""
    if not facts.catalog_number.strip():
        return None
    if not (
        facts.scientific_name.strip()
        and facts.institution_code.strip()
        and facts.basis_of_record.strip()
    ):
        return 0
    where = facts.country.strip() or facts.locality.strip()
    if not (facts.has_image and where and facts.event_date.strip()):
        return 1
    if not (is_stable_uri(facts.occurrence_id) and facts.licence.strip()):
        return 2
    return 3
