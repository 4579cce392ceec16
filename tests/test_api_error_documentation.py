"""Every operation documents the contract's generic errors, and unknown API URLs answer JSON."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_documents_401_403_404_and_429(schema):
    for path, method, operation in operations(schema):
        assert {"401", "403", "404", "429"} <= set(operation["responses"]), (method, path)


def test_every_write_documents_400_and_415(schema):
    for path, method, operation in operations(schema):
        if method in {"post", "put", "patch"}:
            assert {"400", "415"} <= set(operation["responses"]), (method, path)


def test_uploads_document_413(schema):
    uploads = [
        (path, op)
        for path, method, op in operations(schema)
        if "multipart/form-data" in op.get("requestBody", {}).get("content", {})
    ]
    assert uploads
    for path, op in uploads:
        assert "413" in op["responses"], path


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/api/v1/loan-requests/0.5/", "/api/v1/nothing-here/", "/api/v1/specimens/abc/x/"]
)
def test_unknown_api_urls_answer_a_json_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_unknown_api_urls_answer_a_json_404_not_a_csrf_page(method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/loan-requests/0.5/approve/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
