"""The language switcher (every page, no JavaScript) changes the page language; a signed-in
user's choice becomes their preferred language, which then wins over the browser's."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME_HEADING = {
    "en": "Natural-history collections open to researchers",
    "fr": "Des collections d'histoire naturelle ouvertes aux chercheurs",
    "de": "Naturkundliche Sammlungen, offen für Forschende",
}


def test_every_page_offers_the_other_languages_as_buttons_of_one_form(client):
    html = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    assert 'name="language" value="fr" lang="fr">Français</button>' in html
    assert 'name="language" value="de" lang="de">Deutsch</button>' in html
    assert '<strong lang="en" aria-current="true">English</strong>' in html


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_switcher_changes_the_page_language(client, language):
    switched = client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert (switched.status_code, switched.url) == (302, "/")

    page = client.get(reverse("home"))
    html = page.content.decode()
    assert f'<html lang="{language}">' in html and HOME_HEADING[language] in html
    assert page.headers["Content-Language"] == language


def test_the_browsers_language_is_used_until_the_visitor_chooses(client):
    german = client.get(reverse("home"), headers={"accept-language": "de"})
    assert HOME_HEADING["de"] in german.content.decode()
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    french = client.get(reverse("home"), headers={"accept-language": "de"})
    assert HOME_HEADING["fr"] in french.content.decode()


def test_a_signed_in_users_choice_becomes_their_preferred_language(client, researcher):
    client.force_login(researcher)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    researcher.refresh_from_db()
    assert researcher.preferred_language == "de"


def test_the_preferred_language_wins_over_the_browser_and_the_cookie(client, researcher):
    researcher.preferred_language = "fr"
    researcher.save(update_fields=["preferred_language"])
    client.cookies["django_language"] = "de"
    client.force_login(researcher)

    page = client.get(reverse("profile"), headers={"accept-language": "de"})

    assert '<html lang="fr">' in page.content.decode() and "Votre profil" in page.content.decode()


def test_the_profile_page_edits_the_preferred_language(client, researcher):
    client.force_login(researcher)
    page = client.get(reverse("profile")).content.decode()
    assert 'name="preferred_language"' in page and '<option value="de">German</option>' in page

    saved = client.post(
        reverse("profile"), {"full_name": researcher.full_name, "preferred_language": "de"}
    )

    assert saved.status_code == 302
    researcher.refresh_from_db()
    assert researcher.preferred_language == "de"
    assert "Ihr Profil wurde gespeichert." in client.get(reverse("profile")).content.decode()


def test_sign_up_proposes_the_language_the_page_is_read_in(client):
    page = client.get(reverse("signup"), headers={"accept-language": "fr"})
    assert page.context["form"].initial["preferred_language"] == "fr"


def test_an_unknown_language_changes_nothing(client, researcher):
    client.force_login(researcher)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    researcher.refresh_from_db()
    assert researcher.preferred_language == ""
    assert HOME_HEADING["en"] in client.get(reverse("home")).content.decode()
