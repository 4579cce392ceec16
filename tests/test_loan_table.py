"""The loan transition table: its actions, and input checked before anything changes.

The state × action × role matrix of every kind, loans included, is the contract suite's
(``tests/contract/``)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from elvis.workflow.service import perform
from loans.models import LoanStatus
from loans.workflow import LOAN_WORKFLOW

TODAY = datetime.date.today()


def test_the_table_has_the_contract_actions():
    assert set(LOAN_WORKFLOW.transitions) == {
        "submit", "start_review", "request_changes", "approve", "reject", "withdraw", "cancel",
        "dispatch", "confirm_receipt", "extend", "return_items", "close",
        "request_extension", "decline_extension", "record_return",
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
