"""Deterministic demo specimens: the same collection always yields the same specimens.

Each collection draws from its own random stream, seeded by its institution and code, so the
k-th specimen of a collection never changes with the number requested, and re-running
``seed_demo`` recreates exactly the rows it made before.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from ..models import Collection, Specimen
from .places import places_for
from .plans import CollectionPlan, InstitutionPlan, catalogue_number
from .taxa import TAXA

# Mostly not types; a few primary and secondary types, as in real collections.
TYPE_STATUSES = ("", "Holotype", "Paratype", "Syntype", "Lectotype", "Paralectotype")
TYPE_WEIGHTS = (965, 6, 16, 7, 4, 2)


def event_date(rng: random.Random, first_year: int) -> str:
    """An ISO 8601 date; sometimes only a year, sometimes an interval, as on real labels."""
    year, month, day = rng.randint(first_year, 2024), rng.randint(1, 12), rng.randint(1, 20)
    shape = rng.random()
    if shape < 0.1:
        return str(year)
    if shape < 0.15:
        return f"{year}-{month:02d}-{day:02d}/{year}-{month:02d}-{day + rng.randint(1, 8):02d}"
    return f"{year}-{month:02d}-{day:02d}"


def demo_specimens(
    collection: Collection, institution: InstitutionPlan, plan: CollectionPlan, count: int
) -> Iterator[Specimen]:
    rng = random.Random(f"{collection.institution.code}:{collection.code}")
    taxa = TAXA[plan.group]
    families = sorted(taxa)
    number = rng.randrange(1_000, 200_000)
    for _ in range(count):
        number += rng.randint(1, 25)
        family = rng.choice(families)
        genus = rng.choice(sorted(taxa[family]))
        epithet = rng.choice(taxa[family][genus])
        country, locality = rng.choice(places_for(plan.group, family, genus, epithet))
        catalog = catalogue_number(institution, plan, number)
        yield Specimen(
            collection=collection,
            catalog_number=catalog,
            occurrence_id=f"urn:catalog:{institution.acronym}:{plan.code}:{catalog}",
            scientific_name=f"{genus} {epithet}",
            family=family,
            type_status=rng.choices(TYPE_STATUSES, TYPE_WEIGHTS)[0],
            country=country,
            locality=locality,
            event_date=event_date(rng, plan.first_year),
            preparations=rng.choice(plan.preparations),
            is_available=rng.random() > 0.03,
        )
