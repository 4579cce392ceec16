"""Catalogues for the tests that read the plans PostgreSQL runs: specimens spread over twenty
institutions' collections (as a page joins them), and fresh planner statistics."""

from __future__ import annotations

from django.db import connection

from collections_app.models import Collection, Institution, Specimen


def twenty_collections(prefix: str) -> list[Collection]:
    """One collection in each of twenty institutions coded ``prefix0`` … ``prefix19``."""
    institutions = Institution.objects.bulk_create(
        Institution(code=f"{prefix}{n}", name=f"Museum {n}", country="FR") for n in range(20)
    )
    return Collection.objects.bulk_create(
        Collection(institution=institution, code="ENT", name="Insects", discipline="Entomology")
        for institution in institutions
    )


def analyse_catalogue() -> None:
    """Fresh statistics of the tables a specimen page reads (PostgreSQL; SQLite plans without)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Specimen, Collection, Institution):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
