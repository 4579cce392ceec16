"""The shared specimen search finds what each term says, in any case and with or without
accents, and the search key it relies on stays in step with the name however rows are written."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from collections_app.models import Specimen
from collections_app.search import KEY_LENGTH, ORDERINGS, search_key, search_specimens

pytestmark = pytest.mark.django_db

fill_migration = importlib.import_module("collections_app.migrations.0002_specimen_search")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Carabus", "carabus"),
        ("CÄRABUS", "carabus"),
        ("  Carabus \t auratus\n", "carabus auratus"),
        ("Épeira diadémata", "epeira diademata"),
        ("Straße", "strasse"),
        ("ﬁcus", "ficus"),
        ("Æsculus", "æsculus"),
        ("", ""),
    ],
)
def test_the_search_key_folds_case_accents_and_spaces(text, key):
    assert search_key(text) == key


def test_the_search_key_is_cut_to_the_column_length():
    assert search_key("a" * 300) == "a" * KEY_LENGTH


@pytest.fixture
def catalogue(collection_a, collection_b) -> dict[str, Specimen]:
    rows = [
        ("A-1", collection_a, "Carabus auratus", "Carabidae", "Holotype", "FR"),
        ("A-2", collection_a, "Carabus nemoralis", "Carabidae", "", "DE"),
        ("A-3", collection_a, "CÄRABUS violaceus", "Carabidae", "paratype", "FR"),
        ("A-4", collection_a, "Épeira diademata", "Araneidae", "", "fr"),
        ("A-5", collection_a, "Pterostichus madidus", "Carabidae", "", "GB"),
        ("B-1", collection_b, "Carabus auratus", "Carabidae", "HOLOTYPE", "ES"),
        ("B-2", collection_b, "Quercus robur", "Fagaceae", "", "GB"),
        ("b-3", collection_b, "Carabidae sp.", "Carabidae", "", "GB"),
    ]
    return {
        number: Specimen.objects.create(
            collection=collection,
            catalog_number=number,
            scientific_name=name,
            family=family,
            type_status=type_status,
            country=country,
        )
        for number, collection, name, family, type_status, country in rows
    }


def _found(**terms) -> list[str]:
    return [s.catalog_number for s in search_specimens(Specimen.objects.all(), **terms)]


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ({"scientific_name": "carabus"}, ["A-1", "B-1", "A-2", "A-3"]),
        ({"scientific_name": "CÄRABUS"}, ["A-1", "B-1", "A-2", "A-3"]),
        ({"scientific_name": "Carabus  aur"}, ["A-1", "B-1"]),
        ({"scientific_name": "carabusv"}, []),
        ({"scientific_name": "epeira"}, ["A-4"]),
        ({"scientific_name": "ÉPÉIRA diad"}, ["A-4"]),
        ({"scientific_name": "auratus"}, []),
        ({"scientific_name": "carab%"}, []),
        ({"catalog_number": "A-1"}, ["A-1"]),
        ({"catalog_number": "a-1"}, ["A-1"]),
        ({"catalog_number": "A-"}, []),
        ({"family": "ARANEIDAE"}, ["A-4"]),
        ({"family": "Carab"}, []),
        ({"type_status": "holotype"}, ["A-1", "B-1"]),
        ({"type_status": "Paratype"}, ["A-3"]),
        ({"country": "fr"}, ["A-1", "A-3", "A-4"]),
        ({"family": "carabidae", "scientific_name": "carabus n"}, ["A-2"]),
        ({"country": "FR", "type_status": "HOLOTYPE"}, ["A-1"]),
        ({"family": "Fagaceae", "country": "GB"}, ["B-2"]),
        ({"q": "b-2"}, ["B-2"]),
        ({"q": "querc"}, ["B-2"]),
        ({"q": "araneidae"}, ["A-4"]),
        ({"q": "Carabidae"}, ["b-3", "A-1", "B-1", "A-2", "A-3", "A-5"]),
        ({"q": "robur"}, []),
        ({"q": "\u0301"}, []),
        ({"q": "carabus", "family": "fagaceae"}, []),
    ],
)
def test_each_term_and_combination_finds_what_it_says(catalogue, terms, expected):
    assert _found(**terms) == expected


def test_the_search_stays_inside_the_queryset_it_is_given(catalogue, collection_b):
    in_b = Specimen.objects.filter(collection=collection_b)

    found = search_specimens(in_b, q="carabus")

    assert [s.catalog_number for s in found] == ["B-1"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("scientific_name", ["b-3", "A-1", "B-1", "A-2", "A-3", "A-4", "A-5", "B-2"]),
        ("-scientific_name", ["B-2", "A-5", "A-4", "A-3", "A-2", "B-1", "A-1", "b-3"]),
        ("catalog_number", ["A-1", "A-2", "A-3", "A-4", "A-5", "B-1", "B-2", "b-3"]),
        ("family", ["A-4", "b-3", "A-1", "B-1", "A-2", "A-3", "A-5", "B-2"]),
    ],
)
def test_results_come_in_the_chosen_ordering(catalogue, ordering, expected):
    assert _found(ordering=ordering) == expected


def test_every_ordering_is_total_so_that_pages_never_shift():
    assert all(columns[-1] == "id" for columns in ORDERINGS.values())


def test_an_unknown_ordering_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown ordering 'name'"):
        search_specimens(Specimen.objects.all(), ordering="name")


@pytest.mark.parametrize("term", ["carab\U0010ffff", "\U0010ffff", "x\ud7ff", "50%_\\"])
def test_terms_at_the_edges_of_unicode_or_like_syntax_are_plain_text(catalogue, term):
    assert _found(scientific_name=term) == []
    assert _found(q=term) == []


def test_q_probes_each_kind_of_match_in_one_statement_then_reads_one_page(
    catalogue, django_assert_num_queries
):
    with django_assert_num_queries(1) as probed:
        found = search_specimens(Specimen.objects.all(), q="carabus")
    assert probed.captured_queries[0]["sql"].count("EXISTS") == 3
    with django_assert_num_queries(1):
        assert len(list(found)) == 4


def test_saving_a_specimen_keeps_its_key(collection_a):
    specimen = Specimen.objects.create(
        collection=collection_a, catalog_number="K-1", scientific_name="Cärabus"
    )
    specimen.scientific_name = "Épeira"
    specimen.save(update_fields=["scientific_name"])

    specimen.refresh_from_db()
    assert specimen.scientific_name_key == "epeira"


def test_bulk_writes_keep_the_key(collection_a):
    created = Specimen.objects.bulk_create(
        Specimen(collection=collection_a, catalog_number=f"K-{n}", scientific_name="CÄRABUS")
        for n in range(3)
    )
    created[0].scientific_name = "Épeira"
    Specimen.objects.bulk_update(created[:1], ["scientific_name"])
    Specimen.objects.bulk_create(
        [Specimen(collection=collection_a, catalog_number="K-2", scientific_name="Quercus")],
        update_conflicts=True,
        unique_fields=["collection", "catalog_number"],
        update_fields=["scientific_name"],
    )

    keys = dict(Specimen.objects.values_list("catalog_number", "scientific_name_key"))
    assert keys == {"K-0": "epeira", "K-1": "carabus", "K-2": "quercus"}


def test_the_migration_fills_the_key_of_existing_rows_in_batches(monkeypatch, collection_a):
    Specimen.objects.bulk_create(
        Specimen(collection=collection_a, catalog_number=f"M-{n}", scientific_name=f"Äpis {n}")
        for n in range(5)
    )
    Specimen.objects.create(collection=collection_a, catalog_number="M-blank")
    Specimen.objects.update(scientific_name_key="")
    monkeypatch.setattr(fill_migration, "BATCH", 2)

    fill_migration.fill_scientific_name_keys(apps, SimpleNamespace(connection=connection))

    keys = dict(Specimen.objects.values_list("catalog_number", "scientific_name_key"))
    assert keys == {**{f"M-{n}": f"apis {n}" for n in range(5)}, "M-blank": ""}
