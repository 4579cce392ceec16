"""Which demo collections each of the 20 real institutions gets, and how it numbers specimens.

Plans follow each institution's nature: botanic gardens hold a herbarium (and a seed bank where
they run one), museums hold zoological and palaeontological collections. Catalogue numbers
follow the institutions' own styles: the museum acronym with a collection block
(``NHMUK010123456``), or for herbaria the Index Herbariorum code and a barcode (``K000123456``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class CollectionPlan:
    code: str
    name: StrOrPromise
    discipline: str
    taxonomic_scope: str
    group: str  # a key of demo.taxa.TAXA
    preparations: tuple[str, ...]
    herbarium: bool = False
    first_year: int = 1835  # earliest collecting year
    accepts_loans: bool = True
    accepts_visits: bool = True
    accepts_digitisation: bool = True


PLANS: dict[str, CollectionPlan] = {
    plan.code: plan
    for plan in (
        CollectionPlan(
            "ENT",
            _("Entomology"),
            "Entomology",
            "Insecta",
            "insects",
            ("pinned", "card-mounted", "pinned; genitalia in microvial", "ethanol 70%"),
        ),
        CollectionPlan(
            "ORN",
            _("Ornithology"),
            "Zoology",
            "Aves",
            "birds",
            ("study skin", "skeleton", "egg", "mounted skin"),
        ),
        CollectionPlan(
            "MAM",
            _("Mammals"),
            "Zoology",
            "Mammalia",
            "mammals",
            ("skin and skull", "skull", "skeleton", "ethanol 70%"),
        ),
        CollectionPlan(
            "FISH",
            _("Fishes"),
            "Zoology",
            "Actinopterygii",
            "fishes",
            ("ethanol 70%", "formalin-fixed, ethanol 70%", "cleared and stained", "skeleton"),
        ),
        CollectionPlan(
            "MOLL",
            _("Molluscs"),
            "Malacology",
            "Mollusca",
            "molluscs",
            ("dry shell", "ethanol 70%", "dry shell; soft parts in ethanol"),
        ),
        CollectionPlan(
            "PAL",
            _("Palaeontology"),
            "Palaeontology",
            "Fossil invertebrates, vertebrates and plants",
            "fossils",
            ("fossil in matrix", "prepared fossil", "cast", "thin section"),
            accepts_loans=False,
        ),
        CollectionPlan(
            "HERB",
            _("Herbarium"),
            "Botany",
            "Tracheophyta, Bryophyta",
            "plants",
            ("herbarium sheet", "herbarium sheet; fragment packet", "spirit collection"),
            herbarium=True,
        ),
        CollectionPlan(
            "SEED",
            _("Seed bank"),
            "Botany",
            "Spermatophyta",
            "plants",
            ("seed, dried and frozen at -20 °C",),
            first_year=1974,
            accepts_visits=False,
            accepts_digitisation=False,
        ),
    )
}


@dataclass(frozen=True)
class InstitutionPlan:
    acronym: str  # in catalogue numbers of the zoological and fossil collections
    herbarium_code: str  # Index Herbariorum code; empty when there is no herbarium
    collections: tuple[str, ...]  # keys of PLANS


# Keyed by the institution codes of data/elvis-inst-coll (as imported, spaces and slashes kept).
INSTITUTIONS: dict[str, InstitutionPlan] = {
    "NHM": InstitutionPlan("NHMUK", "BM", ("ENT", "ORN", "MAM", "FISH", "MOLL", "PAL", "HERB")),
    "NHMW": InstitutionPlan("NHMW", "W", ("ENT", "MAM", "MOLL", "PAL", "HERB", "SEED")),
    "BGM": InstitutionPlan("BR", "BR", ("HERB", "SEED")),
    "RBINS": InstitutionPlan("IRSNB", "", ("ENT", "ORN", "MAM", "MOLL", "PAL")),
    "RMCA": InstitutionPlan("RMCA", "", ("ENT", "FISH", "MAM")),
    "NMP": InstitutionPlan("NMPC", "PR", ("ENT", "MOLL", "PAL", "HERB")),
    "MfN": InstitutionPlan("ZMB", "", ("ENT", "ORN", "MAM", "MOLL", "PAL")),
    "BGBM": InstitutionPlan("B", "B", ("HERB", "SEED")),
    "SGN": InstitutionPlan("SMF", "FR", ("ENT", "ORN", "FISH", "MOLL", "PAL", "HERB")),
    "SMNS": InstitutionPlan("SMNS", "STU", ("ENT", "ORN", "PAL", "HERB")),
    "UCPH/SNM": InstitutionPlan("NHMD", "C", ("ENT", "ORN", "MAM", "PAL", "HERB", "SEED")),
    "CSIC (MNCN)": InstitutionPlan("MNCN", "", ("ENT", "ORN", "MAM", "FISH", "PAL")),
    "CSIC (RJB)": InstitutionPlan("MA", "MA", ("HERB", "SEED")),
    "LUOMUS": InstitutionPlan("MZH", "H", ("ENT", "ORN", "HERB", "SEED")),
    "MNHN": InstitutionPlan("MNHN", "P", ("ENT", "ORN", "MAM", "FISH", "MOLL", "PAL", "HERB")),
    "HNHM": InstitutionPlan("HNHM", "BP", ("ENT", "MAM", "MOLL", "HERB", "SEED")),
    "HUJI": InstitutionPlan("HUJ", "HUJ", ("ENT", "ORN", "FISH", "HERB")),
    "NRM": InstitutionPlan("NHRS", "S", ("ENT", "ORN", "FISH", "PAL", "HERB")),
    "RBGE": InstitutionPlan("E", "E", ("HERB",)),
    "RBGK": InstitutionPlan("K", "K", ("HERB", "SEED")),
}


def catalogue_number(institution: InstitutionPlan, plan: CollectionPlan, number: int) -> str:
    if plan.herbarium:
        return f"{institution.herbarium_code}{number:09d}"
    block = 10 + institution.collections.index(plan.code)
    return f"{institution.acronym}{block:03d}{number:06d}"
