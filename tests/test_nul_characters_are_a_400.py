"""A NUL character anywhere a person or client can put text — a page's query string, a form, a
filter of any API list, an admin search, the path, a cookie — is a 400, never a 500.

PostgreSQL cannot store or compare text holding NUL (``DataError``), so before this every
search box and filter that passed one to the database failed with a 500 there. The checks are
the status codes, so they mean the same on SQLite (where NUL used to pass unnoticed, 200)."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

NUL = "nul\x00byte"
PAGE_PARAMETERS = ["q", "country", "discipline", "status", "page", "ordering", "next"]


@pytest.fixture
def world(make_loan, collection_a, researcher):
    loan = make_loan()
    return {
        "institution": collection_a.institution_id,
        "collection": collection_a.pk,
        "loan": loan.pk,
    }


def html_pages(world) -> list[str]:
    return [
        "/",
        f"/institutions/{world['institution']}/",
        f"/collections/{world['collection']}/",
        "/loans/",
        "/loans/new/",
        "/loans/specimen-search/",
        f"/loans/{world['loan']}/",
        f"/loans/{world['loan']}/edit/",
        "/notifications/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/profile/",
        "/accounts/password_reset/",
    ]


def _routes(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def api_lists() -> list[tuple[str, list[str]]]:
    """Every list operation of the API without path parameters, with the names of its
    filters: found from the URL resolver, so lists added later are covered too."""
    found = []
    for route, callback in _routes(get_resolver()):
        actions = getattr(callback, "actions", None) or {}
        if not route.startswith("api/v1/^") or actions.get("get") != "list":
            continue
        path = "/" + route.replace("^", "").rstrip("$")
        if re.search(r"[(\\<]", path):
            continue
        filterset = getattr(callback.cls, "filterset_class", None)
        names = list(filterset.base_filters) if filterset else []
        found.append((path, [*names, "q", "ordering", "page", "page_size", "cursor"]))
    return found


def test_the_api_lists_are_found(db):
    paths = [path for path, _names in api_lists()]
    for expected in ["/api/v1/institutions/", "/api/v1/specimens/", "/api/v1/loan-requests/"]:
        assert expected in paths
    assert len(paths) >= 8


@pytest.mark.parametrize("user", [None, "researcher"])
def test_every_page_answers_a_nul_in_any_parameter_with_a_400(client, request, world, user):
    if user:
        client.force_login(request.getfixturevalue(user))
    for path in html_pages(world):
        for parameter in PAGE_PARAMETERS:
            response = client.get(path, {parameter: NUL})

            assert response.status_code == 400, (path, parameter, response.status_code)
            assert response["Content-Type"].startswith("text/html")


def test_every_api_filter_answers_a_nul_with_a_400_naming_it(api_as, site_staff, world):
    api = api_as(site_staff)
    for path, parameters in api_lists():
        for parameter in parameters:
            response = api.get(path, {parameter: NUL})

            assert response.status_code == 400, (path, parameter, response.status_code)
            assert response.json() == {parameter: ["Null characters are not allowed."]}


def test_a_webhooks_delivery_log_filter_answers_a_nul_with_a_400(api_as, coordinator_a):
    from . import webhooks_support as support

    subscription = support.subscription_for(
        coordinator_a, coordinator_a.memberships.get().institution, "https://partner.example/"
    )
    response = api_as(coordinator_a).get(
        f"/api/v1/webhooks/{subscription.pk}/deliveries/", {"event": NUL}
    )

    assert response.status_code == 400
    assert response.json() == {"event": ["Null characters are not allowed."]}


def test_every_admin_search_and_filter_answers_a_nul_with_a_400(client, superuser, world):
    client.force_login(superuser)
    for model in admin.site._registry:
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for parameter in ["q", "o", "status", "institution__code__exact"]:
            response = client.get(changelist, {parameter: NUL})

            assert response.status_code == 400, (changelist, parameter)


def test_a_nul_in_a_posted_form_is_a_400(client):
    response = client.post("/accounts/login/", {"username": NUL, "password": "x"})

    assert response.status_code == 400


def test_a_nul_in_a_field_name_is_a_400_with_a_detail(api):
    response = api.get("/api/v1/institutions/", {NUL: "x"})

    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_nul_in_the_path_is_a_400(client, api):
    assert client.get("/institutions/%00/").status_code == 400
    response = api.get("/api/v1/institutions/%00/")
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("cookie", ["sessionid", "csrftoken", "anything"])
def test_a_nul_in_a_cookie_is_a_400(client, cookie):
    response = client.get("/", HTTP_COOKIE=f'{cookie}="abcdefgh\\000ijklmnop"')

    assert response.status_code == 400


def test_a_nul_in_a_json_body_is_refused_by_the_parser(api_as, researcher):
    response = api_as(researcher).post(
        "/api/v1/loan-requests/", '{"title": "a\\u0000b"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["title"]


def test_ordinary_queries_are_untouched(client, api, world):
    assert client.get("/", {"q": "Carabus"}).status_code == 200
    assert api.get("/api/v1/institutions/", {"q": "INSTA"}).status_code == 200


def test_answers_given_before_the_language_is_chosen_speak_the_callers_language(api, settings):
    """The NUL and body-size guards answer before ``LocaleMiddleware`` runs: in the language
    the caller asked for, not the one the thread's previous request left active."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    api.get("/api/v1/institutions/", HTTP_ACCEPT_LANGUAGE="de")  # leaves German active here

    refused = api.get("/api/v1/institutions/", {"q": NUL}, HTTP_ACCEPT_LANGUAGE="fr")
    too_large = api.post(
        "/api/v1/loan-requests/", "x" * 200, content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )  # fmt: skip
    english = api.get("/api/v1/institutions/", {"q": NUL})

    assert refused.status_code == 400
    assert refused.json() == {"q": ["Le caractère nul n’est pas autorisé."]}
    assert too_large.status_code == 413
    assert too_large.json() == {"detail": "Le corps de la requête est trop volumineux."}
    assert english.json() == {"q": ["Null characters are not allowed."]}
