"""Every kind's table, state × action × role, through the one service function: an action is
done only by a role the table names, only from its source states, and a refusal changes nothing.
A draft never submitted is the requester's own: the institution side holds no role on it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from elvis.workflow.errors import ActionForbidden, InvalidTransition
from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from elvis.workflow.table import CURATOR, DRAFT, REQUESTER
from tests.kinds_support import kind_names

pytestmark = pytest.mark.django_db

# Who holds which table role towards a request from the researcher to institution A.
TABLE_ROLE = {
    "researcher": REQUESTER,
    "curator_a": CURATOR,
    "partner_a": CURATOR,
    "coordinator_b": None,
    "outsider": None,
}


def pytest_generate_tests(metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = [
            (name, status, action, role)
            for name in kind_names()
            for status, _label in get_kind(name).statuses
            for action in get_kind(name).workflow.transitions
            for role in TABLE_ROLE
        ]
        metafunc.parametrize("case", cases, ids=["-".join(case) for case in cases])


def expected(kind, status: str, action: str, role: str) -> str:
    row = kind.workflow.transitions[action]
    held = TABLE_ROLE[role]
    if status == DRAFT and held == CURATOR:
        held = None
    if held not in row.roles:
        return "forbidden"
    return "ok" if status in row.sources else "conflict"


def test_every_action_from_every_state_for_every_role_follows_the_table(
    request, case, make_request_of
):
    name, status, action, role = case
    kind = get_kind(name)
    obj = make_request_of(kind, status)
    actor = request.getfixturevalue(role)
    data = request.getfixturevalue("support_of")(kind).data_for(obj, action)
    outcome = expected(kind, status, action, role)

    if outcome == "forbidden":
        with pytest.raises(ActionForbidden):
            perform(obj, action, actor=actor, **data)
    elif outcome == "conflict":
        with pytest.raises(InvalidTransition) as info:
            perform(obj, action, actor=actor, **data)
        assert info.value.status == status
        assert action not in info.value.allowed_actions
    else:
        try:
            updated = perform(obj, action, actor=actor, **data)
        except ValidationError as error:  # pragma: no cover - the support data must be valid
            pytest.fail(f"{name}.{action} from {status} refused valid input: {error}")
        row = kind.workflow.transitions[action]
        if row.target:
            assert updated.status == row.target
        assert updated.history.get().action == action

    obj.refresh_from_db()
    if outcome != "ok":
        assert obj.status == status, "a refused action must change nothing"
        assert not obj.history.exists()


def test_every_kind_has_the_common_contract_actions(kind):
    assert {
        "submit", "start_review", "request_changes", "approve", "reject", "withdraw", "cancel",
    } <= set(kind.workflow.transitions)  # fmt: skip
