"""No input makes the API fail: whatever the body (any JSON shape and size, deep nesting, NUL
characters, huge numbers, invalid UTF-8, the wrong content type), the query string and the ids
in the path, every operation answers below 500, and every 4xx is a JSON error (DESIGN.md §3).

A property-based test (Hypothesis) of the shared API layer — parsers, middleware, exception
handler, filters, pagination — rather than of one view. The operations are enumerated from the
OpenAPI document drf-spectacular generates, so request kinds and actions added later are
covered without touching this file. Each operation is driven as a requester signed in with a
session and as a partner system with an API token. Each operation's examples come from a fixed
seed (the same ones every run, on SQLite and PostgreSQL, no example database), and each runs in
a savepoint rolled back afterwards, so every example meets the same world.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from accounts.tokens import issue
from elvis import handlers
from elvis.workflow.kinds import all_kinds
from elvis.workflow.service import perform
from notifications.models import Notification
from tests.kinds_support import make_request
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
#: 66 operations × 2 callers × this: a few hundred requests, some 30 s on one core. Set
#: API_FUZZ_EXAMPLES to search longer locally (e.g. 50).
EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "4"))


SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
#: (method, path, operation) for every operation of the API, as the schema documents them.
OPERATIONS = [
    (method, path, item[method])
    for path, item in SCHEMA["paths"].items()
    for method in METHODS
    if method in item
]


def body_fields(operation: dict) -> list[str]:
    """The property names the operation's JSON body documents (its fields, to aim at)."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref:
        schema = SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return sorted(schema.get("properties", {}))


def parameters(operation: dict, where: str) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p["in"] == where]


# --- Strategies ---------------------------------------------------------------------------------

texts = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from("\x00\u202e'\"%<"),
    max_size=30,
)
numbers = st.integers(-(2**70), 2**70) | st.sampled_from([10**30, -(10**30), 2**63, 2**64])
leaves = (
    st.none()
    | st.booleans()
    | numbers
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | st.sampled_from(["", "1", "2026-01-01", "INSTA", "loan.approved", "*", "https://x.org/"])
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(texts | st.sampled_from(["id", "comment"]), children, max_size=4)
    ),
    max_leaves=12,
)

#: Bodies that broke the API once, or would break a naive one.
NASTY_BODIES = [
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b'{"title": "nul\\u0000byte", "comment": "\\u0000"}',
    b'{"comment": "\\ud800"}',
    b'{"comment": 1e999, "id": 99999999999999999999999999999999}',
    b"9" * 5000,
    b"\xff\xfe\x00{",
    b"\x00",
    b"null",
    b"[]",
    b'"just a string"',
    b"{",
    b"",
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=rot13",
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "",
]
#: Mostly what clients send, so that most requests get past content negotiation.
ACCEPTS = ["application/json"] * 4 + ["*/*", "", "text/html", "application/json;q=0"]


@st.composite
def json_bodies(draw, fields: list[str]) -> bytes:
    if fields and draw(st.booleans()):
        shaped = draw(st.fixed_dictionaries({}, optional={name: json_values for name in fields}))
        value: Any = shaped
    else:
        value = draw(json_values)
    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def form_bodies(draw, fields: list[str]) -> bytes:
    names = st.sampled_from(fields) | texts if fields else texts
    pairs = draw(st.lists(st.tuples(names, texts | numbers.map(str)), max_size=5))
    return urlencode(pairs).encode()


@st.composite
def requests(draw, method: str, path: str, operation: dict, ids: dict[str, str]) -> dict:
    """One request to the operation: path ids, query string, headers and body."""
    for name in parameters(operation, "path"):
        value = draw(
            st.just(ids[name])
            | st.just(ids[name])
            | numbers.map(str)
            | texts.filter(lambda t: t not in ("", ".", "..")).map(lambda t: quote(t, safe=""))
        )
        path = path.replace("{" + name + "}", value)
    query_names = st.sampled_from(parameters(operation, "query") or ["q"]) | texts
    query = draw(st.lists(st.tuples(query_names, texts | numbers.map(str)), max_size=4))
    headers = {"HTTP_ACCEPT": draw(st.sampled_from(ACCEPTS))}
    if "Idempotency-Key" in parameters(operation, "header") and draw(st.booleans()):
        headers["HTTP_IDEMPOTENCY_KEY"] = draw(texts.filter(lambda t: "\x00" not in t))
    body, content_type = b"", "application/json"
    if method in ("post", "put", "patch"):
        fields = body_fields(operation)
        content_type = draw(st.sampled_from(CONTENT_TYPES))
        body = draw(
            st.sampled_from(NASTY_BODIES)
            | json_bodies(fields)
            | form_bodies(fields)
            | st.binary(max_size=64)
        )
    return {
        "path": path + ("?" + urlencode(query) if query else ""),
        "body": body,
        "content_type": content_type,
        "headers": headers,
    }


# --- The world the requests meet -------------------------------------------------------------


@pytest.fixture(autouse=True)
def _requests_built_as_the_site_builds_them(monkeypatch) -> None:
    """The test client builds Django's request class; the site's WSGI application builds its
    own (``elvis.handlers``), which survives headers Django's does not. Test that one."""
    monkeypatch.setattr("django.test.client.WSGIRequest", handlers.WSGIRequest)


@pytest.fixture
def world(researcher, curator_a, institution_a, collection_a, facility_a, specimen_a):
    """A request of every registered kind under review, each with a comment and an attachment;
    notifications; a subscription with a delivery; tokens: every id a path can name, visible
    to both callers."""
    partner = support.partner_of(institution_a)
    subscription = support.subscription_for(partner, institution_a, "https://partner.example/")
    ids: dict[str, int] = {}
    for kind in all_kinds():
        obj = make_request(
            kind,
            requester=researcher,
            institution=institution_a,
            collection=collection_a,
            specimens=[specimen_a] if kind.name == "loan" else [],
            status="submitted",
        )
        perform(obj, "start_review", actor=curator_a)
        obj.comments.create(author=researcher, body="Drawer 14 too?")
        attachment = obj.attachments.create(
            uploaded_by=researcher,
            file="attachments/none.pdf",
            original_name="permit.pdf",
            content_type="application/pdf",
            size=10,
        )
        ids[kind.api_path] = obj.pk
        if kind.items is not None:
            ids[f"{kind.api_path}:item"] = obj.items.first().pk
    token, partner_key = issue(partner, "fuzz")
    ids |= {
        "institutions": institution_a.pk,
        "collections": collection_a.pk,
        "facilities": facility_a.pk,
        "specimens": specimen_a.pk,
        "notifications": Notification.objects.filter(recipient=researcher).first().pk,
        "webhooks": subscription.pk,
        "auth": token.pk,
        "attachment_pk": attachment.pk,
        "delivery_pk": Delivery.objects.first().pk,
    }
    return {"researcher": researcher, "partner_key": partner_key, "ids": ids}


def path_ids(path: str, ids: dict) -> dict[str, str]:
    """The ids to fill the path's placeholders with; a resource with an ``{id}`` in its paths
    needs a row in the world (a missing one fails here, naming the resource)."""
    resource = path.split("/")[3]  # /api/v1/<resource>/…
    if "{id}" in path:
        assert resource in ids, f"no {resource} in the world for {path}"
    return {
        "id": str(ids.get(resource, 0)),
        "item_pk": str(ids.get(f"{resource}:item", 0)),
        "attachment_pk": str(ids["attachment_pk"]),
        "delivery_pk": str(ids["delivery_pk"]),
    }


def caller(world, role: str) -> Client:
    client = Client()
    if role == "requester":
        client.force_login(world["researcher"])
    else:
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {world['partner_key']}"
    return client


@pytest.mark.parametrize("role", ["requester", "partner"])
@pytest.mark.parametrize(
    ("method", "path", "operation"),
    OPERATIONS,
    ids=[f"{method.upper()} {path}" for method, path, _operation in OPERATIONS],
)
def test_no_input_makes_an_operation_fail_or_answer_a_non_json_error(
    world, role, method, path, operation
):
    client = caller(world, role)
    ids = path_ids(path, world["ids"])

    # A fixed seed per operation and caller: the same examples on every run and database, yet
    # different ones for each operation (one derandomized seed would draw the same choices).
    @seed(zlib.crc32(f"{role} {method} {path}".encode()))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests(method, path, operation, ids))
    def check(request: dict) -> None:
        with transaction.atomic():
            response = client.generic(
                method.upper(),
                request["path"],
                data=request["body"],
                content_type=request["content_type"],
                **request["headers"],
            )
            transaction.set_rollback(True)

        where = f"{method.upper()} {request['path'][:120]} ({request['content_type']})"
        assert response.status_code < 500, where
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), where
            assert isinstance(json.loads(response.content), dict), where

    check()


def test_the_operations_come_from_the_schema_and_cover_every_kind():
    paths = {path for _method, path, _operation in OPERATIONS}
    assert "/api/v1/loan-requests/{id}/approve/" in paths
    assert "/api/v1/webhooks/{id}/deliveries/{delivery_pk}/redeliver/" in paths
    assert len(OPERATIONS) >= 60
    assert all(re.fullmatch(r"/api/v1/[-\w{}/]+", path) for path in paths)
