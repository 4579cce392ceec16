"""Every paginated list answers its ``next``/``previous`` as an RFC 8288 ``Link`` header too
(``rel="next"``, ``rel="prev"``), the same URLs as the body's, on page-number and cursor lists
alike, and the OpenAPI document says so.

The lists are discovered, not listed: every ``list`` route of the URL conf, and every GET the
schema answers with a page (``@action`` lists such as a webhook's delivery log). A list with
too few rows here to page through fails the test, naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from drf_spectacular.generators import EndpointEnumerator

from accounts.tokens import issue
from collections_app.models import Facility, Specimen
from elvis.workflow.kinds import all_kinds
from notifications.models import Notification
from webhooks import services
from webhooks.models import Subscription

from . import webhooks_support
from .kinds_support import make_request

pytestmark = pytest.mark.django_db

#: How to fill the path of a nested list, given the rows made below.
PATH_VALUES: dict[str, Callable[[Rows], dict[str, Any]]] = {
    "/api/v1/webhooks/{id}/deliveries/": lambda rows: {"id": rows.subscription.pk},
}
LINK = re.compile(r'\s*<(?P<url>[^>]*)>\s*;\s*rel="(?P<rel>[^"]+)"\s*')


@dataclass
class Rows:
    subscription: Subscription


def links(response) -> dict[str, str]:
    """The ``Link`` header as ``{rel: url}``, read with RFC 8288's grammar (not our code)."""
    header = response.headers.get("Link")
    if header is None:
        return {}
    found = {}
    for part in header.split(","):
        match = LINK.fullmatch(part)
        assert match, f"not an RFC 8288 link: {part!r} in {header!r}"
        found[match["rel"]] = match["url"]
    return found


def paginated_in_schema(document: dict) -> set[str]:
    schemas = document["components"]["schemas"]
    found = set()
    for path, operations in document["paths"].items():
        answer = operations.get("get", {}).get("responses", {}).get("200", {})
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        schema = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], schema)
        if "next" in schema.get("properties", {}):
            found.add(path)
    return found


def list_routes_in_urlconf() -> set[str]:
    """Paths of the URL conf's viewset routes whose GET is ``list``, as the schema writes them."""
    return {
        re.sub(r"\{pk\}", "{id}", path)
        for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints()
        if method == "GET" and getattr(callback, "actions", {}).get("get") == "list"
    }


@pytest.fixture
def rows(
    superuser, researcher, institution_a, institution_b, collection_a, collection_b, specimen_a
) -> Rows:
    """Three of everything the superuser can list (sees all; notifications and tokens: own)."""
    Facility.objects.create(institution=institution_a, name="Lab", daily_capacity=1)
    Facility.objects.create(institution=institution_b, name="Imaging", daily_capacity=1)
    Facility.objects.create(institution=institution_b, name="Workspace", daily_capacity=1)
    for number in (2, 3):
        Specimen.objects.create(collection=collection_a, catalog_number=f"A-000{number}")
    for kind in all_kinds():
        for _ in range(3):
            make_request(
                kind,
                requester=researcher,
                institution=institution_a,
                collection=collection_a,
                status="submitted",
            )
    for number in range(3):
        Notification.objects.create(
            recipient=superuser, event="loan.submitted", subject=f"Note {number}", body="…"
        )
        issue(superuser, f"token {number}")
    url = f"http://127.0.0.1:{webhooks_support.LOCAL_PORT}/hooks"
    subscriptions = [
        webhooks_support.subscription_for(superuser, institution, url)
        for institution in (institution_a, institution_b, institution_a)
    ]
    for number in range(3):
        services.record(
            subscriptions[0], "loan.submitted", resource_type="loan", resource_id=number, data={}
        )
    return Rows(subscription=subscriptions[0])


def test_every_list_sends_its_pages_as_link_headers_matching_the_body(api, api_as, rows, superuser):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()
    in_schema = paginated_in_schema(document)
    lists = in_schema | list_routes_in_urlconf()
    client = api_as(superuser)

    assert lists - in_schema == set(), "a list route the schema does not show paginated"
    assert {"/api/v1/specimens/", "/api/v1/webhooks/{id}/deliveries/"} <= lists
    for path in sorted(lists):
        missing = [name for name in re.findall(r"\{(\w+)\}", path) if path not in PATH_VALUES]
        assert not missing, f"{path}: say in PATH_VALUES how to fill {missing}"
        url = path.format(**PATH_VALUES[path](rows)) if path in PATH_VALUES else path
        first = client.get(url, {"page_size": 1})
        assert first.status_code == 200, (path, first.content)
        assert first.json()["next"], f"{path}: make at least two rows of it in `rows`"
        pages, response = 1, first
        while True:
            body = response.json()
            expected = {"next": body["next"], "prev": body["previous"]}
            assert links(response) == {rel: u for rel, u in expected.items() if u}, path
            if not body["next"]:
                break
            response, pages = client.get(body["next"]), pages + 1
        assert pages >= 2, path
        # And back: the prev link of the last page leads to the page before it.
        back = client.get(links(response)["prev"])
        assert links(back)["next"] == back.json()["next"], path


def test_a_list_that_fits_one_page_has_no_link_header(api_as, superuser, institution_a):
    response = api_as(superuser).get("/api/v1/institutions/")

    assert response.status_code == 200
    assert response.json()["next"] is None
    assert "Link" not in response.headers


def test_the_links_keep_the_filters_and_carry_no_character_a_link_cannot(
    api_as, superuser, institution_a, institution_b
):
    institution_a.name, institution_b.name = "Musée <A> & co", "Musée <B> & co"
    for institution in (institution_a, institution_b):
        institution.save()

    first = api_as(superuser).get(
        "/api/v1/institutions/", {"page_size": 1, "q": "Musée <", "ordering": "code"}
    )
    second = api_as(superuser).get(links(first)["next"])

    assert links(first) == {"next": first.json()["next"]}
    assert "q=Mus%C3%A9e+%3C" in links(first)["next"]
    assert "ordering=code" in links(first)["next"]
    assert [i["code"] for i in second.json()["results"]] == ["INSTB"]
    assert links(second) == {"prev": second.json()["previous"]}


def test_the_schema_documents_the_link_header_on_every_list(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()

    lists = paginated_in_schema(document)
    assert lists
    for path in lists:
        headers = document["paths"][path]["get"]["responses"]["200"].get("headers", {})
        assert "Link" in headers, path
        assert 'rel="next"' in headers["Link"]["description"], path
        assert 'rel="prev"' in headers["Link"]["description"], path
