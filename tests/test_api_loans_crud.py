"""The requester's draft through the API: created, shown, edited while a draft, refused otherwise.

Bad input is a 400 naming the field, whatever its type; staff never edit the requester's content
(403), nobody edits after submission (409), and nobody outside the request even sees it (404).
"""

from __future__ import annotations

import datetime

import pytest

from collections_app.models import Collection, Specimen
from loans.models import LoanRequest

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"
TODAY = datetime.date.today()


def days(n: int) -> str:
    return (TODAY + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def specimen_b(collection_b) -> Specimen:
    return Specimen.objects.create(collection=collection_b, catalog_number="B-0001")


@pytest.fixture
def payload(institution_a, collection_a, specimen_a) -> dict:
    return {
        "institution": institution_a.pk,
        "collections": [collection_a.pk],
        "title": "Revision of Carabus",
        "purpose": "Morphological revision of the genus.",
        "requested_start": days(10),
        "requested_end": days(100),
        "borrower_institution": "University of Oslo, Natural History Museum",
        "shipping_address": "Sars gate 1, 0562 Oslo, Norway",
        "items": [
            {"specimen": specimen_a.pk},
            {"description": "20 unsorted Carabidae, drawer 14", "quantity": 20},
        ],
        "permits": [
            {
                "type": "cites",
                "number": "NO-2026-17",
                "issuing_authority": "Norwegian Environment Agency",
                "valid_from": days(0),
                "valid_until": days(365),
            }
        ],
    }


def test_a_researcher_creates_a_draft_as_its_requester(api_as, researcher, outsider, payload):
    payload["requester"] = outsider.pk
    payload["status"] = "approved"
    payload["reference"] = "LOAN-1999-000001"

    response = api_as(researcher).post(URL, payload)

    assert response.status_code == 201, response.content
    body = response.json()
    loan = LoanRequest.objects.get()
    assert loan.requester == researcher and loan.status == "draft"
    assert body["id"] == loan.pk
    assert body["reference"] == loan.reference and body["reference"].startswith("LOAN-")
    assert body["requester"] == {
        "id": researcher.pk,
        "full_name": "Rita Researcher",
        "email": "researcher@example.org",
    }
    assert body["status"] == "draft" and body["status_display"] == "Draft"
    assert body["allowed_actions"] == ["submit", "withdraw"]


def test_the_representation_shows_the_contract_fields(
    api_as, researcher, payload, institution_a, collection_a, specimen_a
):
    body = api_as(researcher).post(URL, payload).json()

    assert {
        "id", "reference", "status", "status_display", "allowed_actions", "requester",
        "institution", "collections", "title", "purpose", "requested_start", "requested_end",
        "borrower_institution", "shipping_address", "carrier", "tracking_number", "shipped_on",
        "due_date", "original_due_date", "received_on", "returned_on", "overdue", "items",
        "permits", "history", "comment_count", "created_at", "updated_at", "submitted_at",
    } <= set(body)  # fmt: skip
    assert body["institution"] == {"id": institution_a.pk, "code": "INSTA", "name": "Institution A"}
    assert body["collections"] == [{"id": collection_a.pk, "code": "ENT", "name": "Entomology"}]
    specimen_item, lot = body["items"]
    assert specimen_item["specimen"] == {
        "id": specimen_a.pk,
        "catalog_number": "A-0001",
        "scientific_name": "Carabus auratus",
        "collection_id": collection_a.pk,
    }
    assert lot["specimen"] is None
    assert (lot["description"], lot["quantity"]) == ("20 unsorted Carabidae, drawer 14", 20)
    assert {"id", "returned_on", "return_condition", "received_by"} <= set(lot)
    [permit] = body["permits"]
    assert (permit["type"], permit["number"], permit["valid_until"]) == (
        "cites",
        "NO-2026-17",
        days(365),
    )
    assert body["overdue"] is False and body["history"] == [] and body["comment_count"] == 0
    assert body["carrier"] == "" and body["due_date"] is None and body["submitted_at"] is None


def test_a_draft_may_have_no_items_but_cannot_be_submitted_so(api_as, researcher, payload):
    client = api_as(researcher)
    payload["items"] = []

    created = client.post(URL, payload)
    assert created.status_code == 201, created.content
    submitted = client.post(f"{URL}{created.json()['id']}/submit/", {})

    assert submitted.status_code == 400
    assert "items" in submitted.json()
    assert LoanRequest.objects.get().status == "draft"


def _set(path: str, value):
    """A change to the valid payload: ``items.0.specimen`` sets the first item's specimen."""

    def change(payload: dict, objects: dict) -> None:
        *parents, last = path.split(".")
        target = payload
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        resolved = value(objects) if callable(value) else value
        if isinstance(target, list):
            target[int(last)] = resolved
        else:
            target[last] = resolved

    return change


BAD_INPUT = [
    ("requested_end", _set("requested_end", days(5))),
    ("requested_start", _set("requested_start", days(-1))),
    ("requested_start", _set("requested_start", "next tuesday")),
    ("requested_start", _set("requested_start", 20260101)),
    ("items", _set("items.0.specimen", lambda o: o["specimen_b"].pk)),
    ("items", _set("items.1", lambda o: {"specimen": o["specimen_a"].pk})),
    ("items", _set("items.0.specimen", 999_999)),
    ("items", _set("items.0", {"description": ""})),
    ("items", _set("items.0", lambda o: {"specimen": o["specimen_a"].pk, "description": "x"})),
    ("items", _set("items.1.quantity", 0)),
    ("items", _set("items.1.quantity", "many")),
    ("items", _set("items.1.quantity", 10**12)),
    ("items", _set("items.0", 7)),
    ("items", _set("items", "everything in drawer 14")),
    ("items", _set("items", {"specimen": 1})),
    ("collections", _set("collections", [999_999])),
    ("collections", _set("collections", lambda o: [o["collection_b"].pk])),
    ("collections", _set("collections", lambda o: [o["closed_collection"].pk])),
    ("collections", _set("collections", "ENT")),
    ("collections", _set("collections", [{"id": 1}])),
    ("institution", _set("institution", 999_999)),
    ("institution", _set("institution", "9" * 30)),
    ("institution", _set("institution", "INSTA")),
    ("institution", _set("institution", {"id": 1})),
    ("institution", _set("institution", None)),
    ("title", _set("title", "")),
    ("title", _set("title", "x" * 201)),
    ("title", _set("title", {"en": "Carabus"})),
    ("purpose", _set("purpose", ["a", "list"])),
    ("title", _set("title", "nul\x00byte")),
    ("permits", _set("permits.0.valid_until", days(-30))),
    ("permits", _set("permits.0.type", "licence to kill")),
    ("permits", _set("permits.0", "CITES NO-2026-17")),
]


@pytest.mark.parametrize(("field", "change"), BAD_INPUT)
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(
    api_as, researcher, payload, specimen_a, specimen_b, collection_b, institution_a, field, change
):
    closed = Collection.objects.create(
        institution=institution_a, code="MIN", name="Minerals", accepts_loans=False
    )
    objects = {
        "specimen_a": specimen_a,
        "specimen_b": specimen_b,
        "collection_b": collection_b,
        "closed_collection": closed,
    }
    change(payload, objects)

    response = api_as(researcher).post(URL, payload)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not LoanRequest.objects.exists()


def test_an_item_error_names_the_item_by_position_and_catalogue_number(
    api_as, researcher, payload, specimen_b
):
    payload["items"].append({"specimen": specimen_b.pk})

    response = api_as(researcher).post(URL, payload)

    assert response.status_code == 400
    assert response.json()["items"] == {
        "2": {"specimen": ["B-0001 is not in the chosen collections."]}
    }


@pytest.mark.parametrize("body", ['["a", "list"]', '"a string"', "42", "null", "true"])
def test_a_body_that_is_not_an_object_is_a_400(api_as, researcher, body):
    response = api_as(researcher).post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_malformed_json_is_a_400(api_as, researcher):
    response = api_as(researcher).post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400


def test_anonymous_callers_get_401(api, payload):
    assert api.get(URL).status_code == 401
    assert api.post(URL, payload).status_code == 401


def test_the_requester_edits_a_draft_and_lists_replace_the_stored_ones(
    api_as, researcher, make_loan, specimen_a
):
    loan = make_loan()

    response = api_as(researcher).patch(
        f"{URL}{loan.pk}/",
        {"title": "Revision of Carabus, part 2", "items": [{"description": "Drawer 15"}]},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Revision of Carabus, part 2"
    assert [(i["specimen"], i["description"]) for i in body["items"]] == [(None, "Drawer 15")]
    assert list(loan.items.values_list("description", flat=True)) == ["Drawer 15"]


def test_a_full_update_replaces_the_content(api_as, researcher, make_loan, payload):
    loan = make_loan()
    payload["title"] = "Carabus, again"
    payload["permits"] = []

    response = api_as(researcher).put(f"{URL}{loan.pk}/", payload)

    assert response.status_code == 200, response.content
    loan.refresh_from_db()
    assert loan.title == "Carabus, again" and not loan.permits.exists()
    assert loan.items.count() == 2


def test_the_requester_edits_while_changes_are_requested(api_as, researcher, make_loan):
    loan = make_loan(status="changes_requested")

    response = api_as(researcher).patch(f"{URL}{loan.pk}/", {"purpose": "Now with a plan."})

    assert response.status_code == 200, response.content
    loan.refresh_from_db()
    assert loan.purpose == "Now with a plan."


def test_dropping_the_collection_of_a_listed_specimen_is_refused(
    api_as, researcher, make_loan, institution_a
):
    other = Collection.objects.create(institution=institution_a, code="LEP", name="Lepidoptera")
    loan = make_loan()

    response = api_as(researcher).patch(f"{URL}{loan.pk}/", {"collections": [other.pk]})

    assert response.status_code == 400
    assert response.json()["items"] == {
        "0": {"specimen": ["A-0001 is not in the chosen collections."]}
    }


def test_moving_a_draft_to_another_institution_needs_its_collections(
    api_as, researcher, make_loan, institution_b
):
    loan = make_loan()

    response = api_as(researcher).patch(f"{URL}{loan.pk}/", {"institution": institution_b.pk})

    assert response.status_code == 400
    assert response.json()["collections"] == ["ENT is not a collection of INSTB."]


def test_workflow_fields_are_read_only(api_as, researcher, make_loan):
    loan = make_loan()
    reference = loan.reference

    response = api_as(researcher).patch(
        f"{URL}{loan.pk}/",
        {"status": "approved", "reference": "X-1", "carrier": "DHL", "due_date": days(30)},
    )

    assert response.status_code == 200
    loan.refresh_from_db()
    assert (loan.status, loan.reference, loan.carrier, loan.due_date) == (
        "draft",
        reference,
        "",
        None,
    )


@pytest.mark.parametrize("status", ["submitted", "under_review", "approved", "on_loan", "closed"])
def test_editing_after_submission_is_a_409_with_what_may_be_done(
    api_as, researcher, make_loan, status
):
    loan = make_loan(status=status)

    response = api_as(researcher).patch(f"{URL}{loan.pk}/", {"title": "Too late"})

    assert response.status_code == 409
    body = response.json()
    assert body["status"] == status
    assert body["allowed_actions"] == loan.allowed_actions(researcher)
    assert "detail" in body
    loan.refresh_from_db()
    assert loan.title == "Revision of Carabus"


@pytest.mark.parametrize("role", ["curator_a", "coordinator_a", "superuser"])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_staff_who_see_a_request_may_not_edit_or_delete_it(
    request, api_as, make_loan, payload, role, method
):
    loan = make_loan(status="submitted")
    client = api_as(request.getfixturevalue(role))

    response = getattr(client, method)(f"{URL}{loan.pk}/", payload)

    assert response.status_code == 403
    assert LoanRequest.objects.get().title == "Revision of Carabus"


@pytest.mark.parametrize("role", ["outsider", "coordinator_b"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_someone_elses_draft_is_not_found(request, api_as, make_loan, payload, role, method):
    loan = make_loan()
    client = api_as(request.getfixturevalue(role))

    response = getattr(client, method)(f"{URL}{loan.pk}/", None if method == "get" else payload)

    assert response.status_code == 404
    assert LoanRequest.objects.filter(pk=loan.pk, title="Revision of Carabus").exists()


def test_the_requester_deletes_a_draft(api_as, researcher, make_loan):
    loan = make_loan()

    response = api_as(researcher).delete(f"{URL}{loan.pk}/")

    assert response.status_code == 204
    assert not LoanRequest.objects.exists()


@pytest.mark.parametrize("status", ["changes_requested", "submitted", "withdrawn"])
def test_only_a_draft_can_be_deleted(api_as, researcher, make_loan, status):
    loan = make_loan(status=status)

    response = api_as(researcher).delete(f"{URL}{loan.pk}/")

    assert response.status_code == 409
    assert response.json()["status"] == status
    assert LoanRequest.objects.filter(pk=loan.pk).exists()
