"""Country names come from django-countries, translated, in forms, the home page's filter and
the API; the stored value stays the ISO code, and Kosovo (XK, user-assigned) is valid."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import translation

from collections_app.importers import values
from collections_app.models import Institution

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "germany", "kosovo"),
    [("en", "Germany", "Kosovo"), ("fr", "Allemagne", "Kosovo"), ("de", "Deutschland", "Kosovo")],
)
def test_an_institution_form_names_the_countries_in_the_page_language(language, germany, kosovo):
    form = modelform_factory(Institution, fields=["country"])()
    with translation.override(language):
        html = str(form["country"])
    assert f'<option value="DE">{germany}</option>' in html
    assert f'<option value="XK">{kosovo}</option>' in html


def test_the_admin_form_shows_translated_names(client, site_staff):
    client.force_login(site_staff)
    page = client.get(
        reverse("admin:collections_app_institution_add"), headers={"accept-language": "fr"}
    )
    assert '<option value="GB">Royaume-Uni</option>' in page.content.decode()


def test_the_home_filter_lists_the_institutions_countries_by_name(client):
    Institution.objects.create(code="MfN", name="Museum für Naturkunde", country="DE")
    Institution.objects.create(code="NHM", name="Natural History Museum", country="GB")
    Institution.objects.create(code="NMK", name="Kosovo Museum", country="XK")

    page = client.get(reverse("home"), {"country": "DE"}, headers={"accept-language": "de"})

    options = [(c.code, c.name) for c in page.context["countries"]]
    assert options == [("DE", "Deutschland"), ("XK", "Kosovo"), ("GB", "Vereinigtes Königreich")]
    html = page.content.decode()
    assert '<option value="DE" selected>Deutschland</option>' in html
    assert [i.code for i in page.context["institutions"]] == ["MfN"]


def test_kosovo_is_a_valid_country_everywhere(api_as, coordinator_a, institution_a):
    institution = Institution(code="NMK", name="Kosovo Museum", country="XK")
    institution.full_clean()
    assert values.country("xk") == "XK"

    response = api_as(coordinator_a).patch(
        f"/api/v1/institutions/{institution_a.pk}/", {"country": "xk"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["country"], response.json()["country_name"]) == ("XK", "Kosovo")


def test_the_api_keeps_iso_codes_and_names_them_in_the_callers_language(api, institution_a):
    institution_a.country = "DE"
    institution_a.save()

    body = api.get(f"/api/v1/institutions/{institution_a.pk}/", HTTP_ACCEPT_LANGUAGE="fr").json()

    assert (body["country"], body["country_name"]) == ("DE", "Allemagne")


@pytest.mark.parametrize("code", ["UK", "XX"])
def test_a_well_shaped_code_that_names_no_country_is_refused(
    api_as, coordinator_a, institution_a, code
):
    response = api_as(coordinator_a).patch(
        f"/api/v1/institutions/{institution_a.pk}/", {"country": code}, format="json"
    )
    assert response.status_code == 400
    assert "country" in response.json()
    with pytest.raises(ValueError):
        values.country(code)
    with pytest.raises(ValidationError):
        Institution(code="X", name="X", country=code).full_clean()
