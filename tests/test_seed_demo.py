"""``manage.py seed_demo``: a realistic, repeatable demo made from the real institution tables.

How a seeding runs, one per test; what the demo holds is read in ``test_seed_demo_contents.py``
from one seeding per module.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError

from collections_app.demo.accounts import ACCOUNTS
from collections_app.demo.places import places_for
from collections_app.demo.plans import INSTITUTIONS, PLANS
from collections_app.demo.specimens import demo_specimens
from collections_app.demo.taxa import FAMILIES, TAXA
from collections_app.models import Collection, Facility, Institution, Specimen
from tests.demo_support import login_lines, seed


@pytest.fixture(autouse=True)
def _demo_images_in_a_temporary_folder(media) -> None:
    """The demo's captures, derivatives and packages go to MEDIA_ROOT: a folder of the test's."""


def test_the_default_run_builds_thousands_of_specimens_of_real_families(db):
    seed()

    assert Institution.objects.count() == 20
    assert Facility.objects.exists()
    assert not Institution.objects.filter(collections=None).exists()
    assert Specimen.objects.count() == 3000
    families = set(Specimen.objects.values_list("family", flat=True).distinct())
    assert len(families) >= 50
    assert families <= FAMILIES


def mfn_palaeontology(count: int) -> list[Specimen]:
    collection = Collection(institution=Institution(code="MfN"), code="PAL")
    return list(demo_specimens(collection, INSTITUTIONS["MfN"], PLANS["PAL"], count))


def test_fossils_come_from_their_fossil_beds():
    specimens = mfn_palaeontology(500)

    archaeopteryx = {s.locality for s in specimens if s.family == "Archaeopterygidae"}
    iguanodons = {s.locality for s in specimens if s.family == "Iguanodontidae"}
    assert archaeopteryx
    assert archaeopteryx <= {"Solnhofen, Bavaria", "Eichstätt, Bavaria"}
    assert iguanodons == {"Bernissart, Hainaut"}


def test_a_collections_specimens_do_not_depend_on_how_many_are_asked_for():
    few, many = mfn_palaeontology(10), mfn_palaeontology(200)

    assert [s.catalog_number for s in few] == [s.catalog_number for s in many[:10]]
    assert [s.scientific_name for s in few] == [s.scientific_name for s in many[:10]]


def test_every_demo_taxon_has_a_place_to_come_from():
    for group, taxa in TAXA.items():
        for family, genera in taxa.items():
            for genus, epithets in genera.items():
                for epithet in epithets:
                    assert places_for(group, family, genus, epithet), (genus, epithet)


def test_the_logins_are_printed_with_a_warning_that_the_passwords_are_public(db):
    output = seed(specimens=0)

    assert len(login_lines(output)) == len(ACCOUNTS)
    assert all(account.email in output for account in ACCOUNTS)
    assert "passwords are public" in output


def printed_token(output: str) -> str:
    return re.search(r"API token of api\.nhm@demo\.example\.org: (\S+)", output).group(1)


def test_the_printed_partner_token_works_until_a_rerun_replaces_it(db, api):
    first = printed_token(seed(specimens=0))
    second = printed_token(seed(specimens=0))

    api.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api.get("/api/v1/loan-requests/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.get("/api/v1/loan-requests/").status_code == 401


def test_a_negative_specimen_count_is_refused(db):
    with pytest.raises(CommandError, match="--specimens"):
        seed(specimens=-1)
