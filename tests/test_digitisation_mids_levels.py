"""The MIDS level each specimen reaches, from the data present; stored on the items when the
package is built and listed in ``mids.csv``."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from virtual_access import mids, packaging

FULL = dict(
    catalog_number="A-1",
    scientific_name="Carabus auratus",
    institution_code="NHM",
    basis_of_record="PreservedSpecimen",
    has_image=True,
    country="FR",
    locality="",
    event_date="1903-06-12",
    occurrence_id="https://data.nhm.ac.uk/object/123",
    licence="https://creativecommons.org/licenses/by/4.0/",
)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, 3),
        ({"occurrence_id": "NHM:ENT:123"}, 2),
        ({"licence": ""}, 2),
        ({"has_image": False}, 1),
        ({"event_date": ""}, 1),
        ({"country": "", "locality": ""}, 1),
        ({"country": "", "locality": "Fontainebleau"}, 3),
        ({"scientific_name": ""}, 0),
        ({"catalog_number": ""}, None),
    ],
)
def test_the_level_is_the_highest_whose_data_is_all_present(changes, expected):
    assert mids.level(mids.Facts(**{**FULL, **changes})) == expected


@pytest.mark.django_db
def test_building_the_package_stores_each_specimens_level_and_lists_it(delivered_set, media):
    built = packaging.build(delivered_set)
    levels = {
        (item.specimen.catalog_number if item.specimen else None): item.mids_level
        for item in delivered_set.items.select_related("specimen")
    }
    # A-0002: everything, with a stable URI; A-0001: a name but no date; A-0003: a number only.
    assert levels == {"A-0002": 3, "A-0001": 1, "A-0003": 0, None: None}
    with zipfile.ZipFile(media / built["package"]) as zf:
        rows = list(csv.DictReader(io.TextIOWrapper(zf.open("mids.csv"), encoding="utf-8")))
    assert {row["catalogNumber"]: row["midsLevel"] for row in rows} == {
        "A-0002": "3",
        "A-0001": "1",
        "A-0003": "0",
    }
