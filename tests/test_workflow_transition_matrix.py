"""The loan transition table, state × action × role, through the one service function."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from elvis.workflow.errors import ActionForbidden, InvalidTransition
from elvis.workflow.service import perform
from loans.models import LoanStatus
from loans.workflow import LOAN_WORKFLOW

TODAY = datetime.date.today()
ROLES = ["requester", "curator_a", "coordinator_a", "coordinator_b", "outsider"]
# Who holds which table role towards a loan to institution A from the researcher.
TABLE_ROLE = {
    "requester": "requester",
    "curator_a": "curator",
    "coordinator_a": "curator",
    "coordinator_b": None,
    "outsider": None,
}


def action_data(action: str, loan) -> dict:
    return {
        "dispatch": {
            "carrier": "DHL",
            "tracking_number": "JD0146000033",
            "due_date": TODAY + datetime.timedelta(days=180),
        },
        "extend": {"due_date": TODAY + datetime.timedelta(days=400)},
        "return_items": {"items": [item.pk for item in loan.items.all()]},
    }.get(action, {})


def expected(status: str, action: str, role: str) -> str:
    row = LOAN_WORKFLOW.transitions[action]
    if TABLE_ROLE[role] not in row.roles:
        return "forbidden"
    return "ok" if status in row.sources else "conflict"


CASES = [
    (status, action, role)
    for status in LoanStatus.values
    for action in LOAN_WORKFLOW.transitions
    for role in ROLES
]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "action", "role"), CASES)
def test_every_action_from_every_state_for_every_role_follows_the_table(
    request, make_loan, status, action, role
):
    loan = make_loan(status=status, due_date=TODAY + datetime.timedelta(days=30))
    actor = request.getfixturevalue("researcher" if role == "requester" else role)
    outcome = expected(status, action, role)

    if outcome == "forbidden":
        with pytest.raises(ActionForbidden):
            perform(loan, action, actor=actor, **action_data(action, loan))
    elif outcome == "conflict":
        with pytest.raises(InvalidTransition) as info:
            perform(loan, action, actor=actor, **action_data(action, loan))
        assert info.value.status == status
        assert action not in info.value.allowed_actions
    else:
        updated = perform(loan, action, actor=actor, **action_data(action, loan))
        row = LOAN_WORKFLOW.transitions[action]
        if row.target:
            assert updated.status == row.target
        else:
            assert updated.status in {LoanStatus.RETURNED, LoanStatus.PARTIALLY_RETURNED}
        assert updated.history.get().action == action

    loan.refresh_from_db()
    if outcome != "ok":
        assert loan.status == status, "a refused action must change nothing"
        assert not loan.history.exists()


def test_the_table_has_the_contract_actions():
    assert set(LOAN_WORKFLOW.transitions) == {
        "submit", "start_review", "request_changes", "approve", "reject", "withdraw", "cancel",
        "dispatch", "confirm_receipt", "extend", "return_items", "close",
    }  # fmt: skip
    assert LOAN_WORKFLOW.statuses == set(LoanStatus.values)


@pytest.mark.django_db
def test_action_input_is_validated_before_anything_changes(make_loan, curator_a):
    loan = make_loan(status="approved")
    with pytest.raises(ValidationError) as info:
        perform(loan, "dispatch", actor=curator_a, carrier="DHL", tracking_number="X",
                due_date=TODAY - datetime.timedelta(days=1))  # fmt: skip
    assert "due_date" in info.value.message_dict
    loan.refresh_from_db()
    assert loan.status == "approved" and not loan.history.exists()
