"""The ORCID help example is a valid iD that no demo account holds.

A researcher who copies it must get neither a checksum error nor "already used", which would
reveal a seeded account.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from accounts.forms import ProfileForm
from accounts.orcid import ORCID_EXAMPLE, validate_orcid

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def seeded(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path  # the demo writes images
    call_command("seed_demo", specimens=50, stdout=io.StringIO(), stderr=io.StringIO())


def test_the_help_example_has_a_valid_check_digit():
    validate_orcid(ORCID_EXAMPLE)


def test_no_seeded_user_holds_the_help_example(seeded):
    seeded_orcids = set(User.objects.exclude(orcid="").values_list("orcid", flat=True))
    assert seeded_orcids, "the demo has a researcher with an ORCID iD"
    assert ORCID_EXAMPLE not in seeded_orcids


def test_the_profile_page_and_the_admin_show_the_example(client, researcher):
    client.force_login(researcher)
    page = client.get(reverse("profile")).content.decode()
    assert f"e.g. {ORCID_EXAMPLE} or https://orcid.org/{ORCID_EXAMPLE}" in page
    assert str(User._meta.get_field("orcid").help_text) == f"e.g. {ORCID_EXAMPLE}"


def test_a_researcher_who_types_the_example_after_seeding_saves_it(seeded, researcher):
    form = ProfileForm(
        data={"full_name": researcher.full_name, "orcid": ORCID_EXAMPLE},
        instance=researcher,
    )
    assert form.is_valid(), form.errors
