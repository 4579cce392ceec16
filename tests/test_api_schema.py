"""The OpenAPI document is served, valid, warning-free, and documents the registry's filters."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

REGISTRY = ("institutions", "collections", "facilities", "specimens")


def test_the_schema_is_openapi_3_yaml_by_default(api):
    response = api.get("/api/v1/schema/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    for resource in REGISTRY:
        assert f"/api/v1/{resource}/" in document["paths"]
        assert f"/api/v1/{resource}/{{id}}/" in document["paths"]
    assert "/api/v1/auth/token/" in document["paths"]


def test_the_schema_is_also_served_as_json(api):
    response = api.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "ELViS API"


PAGE_NUMBERS = {"page", "page_size"}
CURSOR = {"cursor", "page_size"}


@pytest.mark.parametrize(
    ("resource", "parameters"),
    [
        ("institutions", {"country", "code", "q", "updated_after", "ordering"} | PAGE_NUMBERS),
        (
            "collections",
            {"institution", "institution_id", "accepts_loans", "q", "updated_after"} | PAGE_NUMBERS,
        ),
        (
            "facilities",
            {"institution", "type", "min_capacity", "q", "updated_after"} | PAGE_NUMBERS,
        ),
        (
            "specimens",
            {"institution", "collection", "catalog_number", "scientific_name", "is_available"}
            | CURSOR,
        ),
    ],
)
def test_the_list_filters_and_pagination_are_documented(api, resource, parameters):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()

    operation = document["paths"][f"/api/v1/{resource}/"]["get"]
    documented = {parameter["name"] for parameter in operation["parameters"]}
    assert parameters <= documented


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    """The same check as ``manage.py spectacular --validate --fail-on-warn`` in CI."""
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert yaml.safe_load(out.read_text())["paths"]


def test_the_docs_page_serves_swagger_ui_pointing_at_the_schema(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    # Swagger UI's set-up is a script file of its own (the CSP allows no inline script).
    setup = client.get("/api/v1/docs/", {"script": ""}).content.decode()
    assert "/api/v1/schema/" in setup
