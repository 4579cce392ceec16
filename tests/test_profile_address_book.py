"""The address book on the profile: add, edit and delete named addresses, one default at a
time, each researcher reaching only their own."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Address

pytestmark = pytest.mark.django_db


def test_a_researcher_adds_edits_and_deletes_an_address(client, researcher):
    client.force_login(researcher)

    added = client.post(
        reverse("address-create"),
        {"label": "Lab", "lines": "Rua A 1\nLisboa", "country": "PT", "is_default": "on"},
    )
    assert added.status_code == 302
    lab = Address.objects.get(user=researcher)
    assert (lab.label, lab.is_default, lab.as_text()) == ("Lab", True, "Rua A 1\nLisboa\nPortugal")
    profile = client.get(reverse("profile")).content.decode()
    assert "Lab" in profile and "Rua A 1" in profile

    edited = client.post(
        reverse("address-edit", args=[lab.pk]),
        {"label": "Lab", "lines": "Rua B 2\nLisboa", "country": "PT", "is_default": "on"},
    )
    assert edited.status_code == 302
    lab.refresh_from_db()
    assert lab.lines == "Rua B 2\nLisboa"

    assert client.get(reverse("address-delete", args=[lab.pk])).status_code == 200
    deleted = client.post(reverse("address-delete", args=[lab.pk]))
    assert deleted.status_code == 302
    assert not Address.objects.exists()


def test_choosing_a_new_default_unsets_the_old_one(client, researcher):
    old = Address.objects.create(user=researcher, label="Old", lines="A", is_default=True)
    client.force_login(researcher)

    client.post(reverse("address-create"), {"label": "New", "lines": "B", "is_default": "on"})

    old.refresh_from_db()
    assert not old.is_default
    assert Address.objects.get(label="New").is_default


def test_two_addresses_may_not_share_a_name(client, researcher):
    Address.objects.create(user=researcher, label="Lab", lines="A")
    client.force_login(researcher)

    response = client.post(reverse("address-create"), {"label": "lab", "lines": "B"})

    assert response.status_code == 200
    assert "already have an address with this name" in response.content.decode()
    assert Address.objects.count() == 1


def test_an_address_without_lines_is_refused(client, researcher):
    client.force_login(researcher)

    response = client.post(reverse("address-create"), {"label": "Lab", "lines": ""})

    assert response.status_code == 200 and response.context["form"].errors["lines"]
    assert not Address.objects.exists()


@pytest.mark.parametrize("view", ["address-edit", "address-delete"])
def test_someone_elses_address_is_not_found(client, researcher, outsider, view):
    theirs = Address.objects.create(user=outsider, label="Home", lines="A")
    client.force_login(researcher)

    assert client.get(reverse(view, args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse(view, args=[theirs.pk]), {"label": "X", "lines": "B"}).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.label == "Home"


def test_the_address_book_needs_a_login(client):
    response = client.get(reverse("address-create"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
