"""``POST /api/v1/loan-requests/<id>/<action>/``: what is the loans' own.

The 200/403/404/409 matrix of every action of every kind is the contract suite's
(``tests/contract/``). Here: the loan actions' fields, validated by their forms (missing or bad
ones are a 400 naming them), and their effects.
"""

from __future__ import annotations

import datetime

import pytest

from loans.models import LoanHistory
from loans.workflow import LOAN_WORKFLOW

pytestmark = pytest.mark.django_db

URL = "/api/v1/loan-requests/"
TODAY = datetime.date.today()


def days(n: int) -> str:
    return (TODAY + datetime.timedelta(days=n)).isoformat()


# The role that performs each table role's actions, and the first status each action starts from.
ACTOR = {"requester": "researcher", "curator": "curator_a"}
FIRST_SOURCE = {action: sorted(row.sources)[0] for action, row in LOAN_WORKFLOW.transitions.items()}


def _role(action: str) -> str:
    [role] = LOAN_WORKFLOW.transitions[action].roles
    return role


def body_for(action: str, loan) -> dict:
    """Valid fields for the actions that have some."""
    return {
        "dispatch": {"carrier": "DHL", "tracking_number": "JD0146000033", "due_date": days(180)},
        "extend": {"due_date": days(400)},
        "return_items": {"items": [item.pk for item in loan.items.all()], "condition": "good"},
    }.get(action, {})


@pytest.mark.parametrize("action", ["approve", "dispatch", "close"])
def test_a_superuser_acts_as_curator_of_every_institution(api_as, superuser, make_loan, action):
    status = FIRST_SOURCE[action]
    loan = make_loan(status=status)

    response = api_as(superuser).post(f"{URL}{loan.pk}/{action}/", body_for(action, loan))

    assert response.status_code == 200, response.content
    assert response.json()["status"] == LOAN_WORKFLOW.transitions[action].target


def test_a_superuser_may_not_act_as_the_requester(api_as, superuser, make_loan):
    loan = make_loan(status="changes_requested")

    response = api_as(superuser).post(f"{URL}{loan.pk}/submit/", {})

    assert response.status_code == 403


def test_unknown_actions_are_not_routes(api_as, researcher, make_loan):
    loan = make_loan()

    assert api_as(researcher).post(f"{URL}{loan.pk}/teleport/", {}).status_code == 404


def test_actions_are_post_only(api_as, researcher, make_loan):
    loan = make_loan()

    assert api_as(researcher).get(f"{URL}{loan.pk}/submit/").status_code == 405


def test_the_comment_is_kept_in_the_history(api_as, researcher, make_loan):
    loan = make_loan()

    response = api_as(researcher).post(
        f"{URL}{loan.pk}/submit/", {"comment": "Please consider drawer 14 too."}
    )

    assert response.status_code == 200
    [entry] = response.json()["history"]
    assert entry["comment"] == "Please consider drawer 14 too."
    assert (entry["action"], entry["from_status"], entry["to_status"]) == (
        "submit",
        "draft",
        "submitted",
    )
    assert entry["actor"] == {"id": researcher.pk, "full_name": "Rita Researcher"}
    assert response.json()["submitted_at"] is not None


def test_dispatch_records_carrier_tracking_and_due_date(api_as, curator_a, make_loan):
    loan = make_loan(status="approved")

    response = api_as(curator_a).post(
        f"{URL}{loan.pk}/dispatch/",
        {"carrier": "DHL", "tracking_number": "JD01", "due_date": days(90), "comment": "Sent"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["carrier"], body["tracking_number"]) == ("DHL", "JD01")
    assert body["due_date"] == body["original_due_date"] == days(90)
    assert body["shipped_on"] == TODAY.isoformat()
    assert body["history"][-1]["data"]["due_date"] == days(90)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({}, {"carrier", "tracking_number", "due_date"}),
        ({"carrier": "DHL", "tracking_number": "JD01"}, {"due_date"}),
        ({"carrier": "DHL", "tracking_number": "JD01", "due_date": days(-1)}, {"due_date"}),
        ({"carrier": "DHL", "tracking_number": "JD01", "due_date": "soon"}, {"due_date"}),
        ({"carrier": "DHL", "tracking_number": "JD01", "due_date": 20270101}, {"due_date"}),
        ({"carrier": "", "tracking_number": "JD01", "due_date": days(90)}, {"carrier"}),
        ({"carrier": {"name": "DHL"}, "tracking_number": "JD01", "due_date": days(90)},
         {"carrier"}),
        ({"carrier": "DHL", "tracking_number": ["JD01"], "due_date": days(90)},
         {"tracking_number"}),
        ({"carrier": "DHL", "tracking_number": "JD01", "due_date": days(90),
          "shipped_on": days(3)}, {"shipped_on"}),
        ({"carrier": "DHL", "tracking_number": "JD01", "due_date": days(90), "comment": ["x"]},
         {"comment"}),
    ],
)  # fmt: skip
def test_dispatch_needs_carrier_tracking_number_and_a_future_due_date(
    api_as, curator_a, make_loan, fields, named
):
    loan = make_loan(status="approved")

    response = api_as(curator_a).post(f"{URL}{loan.pk}/dispatch/", fields)

    assert response.status_code == 400, response.content
    assert set(response.json()) == named
    loan.refresh_from_db()
    assert loan.status == "approved" and not loan.history.exists()


@pytest.mark.parametrize(
    ("action", "status", "fields", "named"),
    [
        ("extend", "on_loan", {"due_date": days(10)}, "due_date"),
        ("extend", "on_loan", {}, "due_date"),
        ("return_items", "on_loan", {"items": []}, "items"),
        ("return_items", "on_loan", {"items": [999_999]}, "items"),
        ("return_items", "on_loan", {"items": "all of them"}, "items"),
        ("return_items", "on_loan", {"items": [{"id": 1}]}, "items"),
        ("return_items", "on_loan", {"items": None}, "items"),
        ("confirm_receipt", "dispatched", {"received_on": days(5)}, "received_on"),
    ],
)
def test_action_fields_are_validated_by_the_actions_form(
    request, api_as, make_loan, action, status, fields, named
):
    loan = make_loan(status=status, due_date=TODAY + datetime.timedelta(days=30))
    actor = request.getfixturevalue(ACTOR[_role(action)])

    response = api_as(actor).post(f"{URL}{loan.pk}/{action}/", fields)

    assert response.status_code == 400, response.content
    assert named in response.json()
    loan.refresh_from_db()
    assert loan.status == status and not loan.history.exists()


@pytest.mark.parametrize("body", ['["a", "list"]', '"text"', "42", "{not json"])
def test_a_body_that_is_not_an_object_is_a_400(api_as, curator_a, make_loan, body):
    loan = make_loan(status="approved")

    response = api_as(curator_a).post(
        f"{URL}{loan.pk}/dispatch/", body, content_type="application/json"
    )

    assert response.status_code == 400


def test_the_status_is_checked_before_the_fields(api_as, curator_a, make_loan):
    loan = make_loan(status="submitted")

    response = api_as(curator_a).post(f"{URL}{loan.pk}/dispatch/", {})

    assert response.status_code == 409
    assert response.json()["allowed_actions"] == [
        "start_review",
        "request_changes",
        "approve",
        "reject",
    ]


def test_returning_some_items_leaves_the_loan_partially_returned(api_as, curator_a, make_loan):
    loan = make_loan(status="on_loan", due_date=TODAY + datetime.timedelta(days=30))
    first, second = loan.items.order_by("pk")

    response = api_as(curator_a).post(
        f"{URL}{loan.pk}/return_items/", {"items": [first.pk], "condition": "1 leg loose"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "partially_returned"
    returned = {item["id"]: item for item in body["items"]}
    assert returned[first.pk]["returned_on"] == TODAY.isoformat()
    assert returned[first.pk]["return_condition"] == "1 leg loose"
    assert returned[first.pk]["received_by"] == curator_a.pk
    assert returned[second.pk]["returned_on"] is None


def test_approving_a_specimen_out_on_another_loan_is_a_409_conflict(
    api_as, curator_a, make_loan, specimen_a
):
    make_loan(status="on_loan", title="First loan")
    loan = make_loan(status="under_review", title="Second loan")

    response = api_as(curator_a).post(f"{URL}{loan.pk}/approve/", {})

    assert response.status_code == 409
    assert "A-0001" in response.json()["detail"]
    loan.refresh_from_db()
    assert loan.status == "under_review"


def test_allowed_actions_depend_on_who_asks(
    api_as, make_loan, researcher, curator_a, coordinator_a, superuser, site_staff
):
    loan = make_loan(status="submitted")

    def allowed(user) -> list[str]:
        response = api_as(user).get(f"{URL}{loan.pk}/")
        assert response.status_code == 200
        return response.json()["allowed_actions"]

    curators = ["start_review", "request_changes", "approve", "reject"]
    assert allowed(researcher) == ["withdraw"]
    assert allowed(curator_a) == curators
    assert allowed(coordinator_a) == curators
    assert allowed(superuser) == curators
    assert allowed(site_staff) == []


def test_the_list_shows_allowed_actions_for_the_caller(api_as, make_loan, curator_a):
    make_loan(status="approved")

    [loan] = api_as(curator_a).get(URL).json()["results"]

    assert loan["allowed_actions"] == ["cancel", "dispatch"]


def test_every_action_is_documented_with_its_body_and_answers(api):
    document = api.get("/api/v1/schema/", {"format": "json"}).json()
    schemas = document["components"]["schemas"]

    for action, row in LOAN_WORKFLOW.transitions.items():
        operation = document["paths"][f"{URL}{{id}}/{action}/"]["post"]
        assert set(operation["responses"]) >= {"200", "400", "403", "404", "409"}
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        properties = schemas[ref.rsplit("/", 1)[1]]["properties"]
        form_fields = set(row.form.base_fields) if row.form else set()
        assert set(properties) == {"comment", *form_fields}
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer["$ref"].endswith("/LoanRequest")
    dispatch = schemas["LoanDispatchRequest"]
    assert set(dispatch["required"]) == {"carrier", "tracking_number", "due_date"}
    assert schemas["LoanReturnItemsRequest"]["properties"]["items"]["type"] == "array"


def test_history_rows_come_from_the_service_only(api_as, researcher, curator_a, make_loan):
    loan = make_loan()
    api_as(researcher).post(f"{URL}{loan.pk}/submit/", {})
    api_as(curator_a).post(f"{URL}{loan.pk}/start_review/", {"comment": "On it"})

    assert list(LoanHistory.objects.values_list("action", "actor__email", "comment")) == [
        ("submit", "researcher@example.org", ""),
        ("start_review", "curator-a@example.org", "On it"),
    ]
