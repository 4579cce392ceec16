"""Every kind's API answers each action as the contract says: 200 done, 403 seen but not
allowed, 404 not visible (never leaking existence), 409 not from this state (with ``status``
and ``allowed_actions``), and a refused action changes nothing."""

from __future__ import annotations

import pytest

from elvis.workflow.kinds import get_kind
from elvis.workflow.table import CURATOR, DRAFT, SYSTEM
from tests.kinds_support import kind_names

from .conftest import api_url

pytestmark = pytest.mark.django_db

# The role that performs each table role's actions, and one who sees the request but may not.
ACTOR = {"requester": "researcher", "curator": "curator_a"}
BYSTANDER = {"requester": "curator_a", "curator": "researcher"}


def _table_role(kind, action: str) -> str:
    return sorted(kind.workflow.transitions[action].roles)[0]


def _cases() -> list[tuple[str, str, str, str, int]]:
    cases = []
    for name in kind_names():
        kind = get_kind(name)
        for action, row in kind.workflow.transitions.items():
            role = _table_role(kind, action)
            if role == SYSTEM:  # the pipeline's own step: nobody may ask for it
                source = sorted(row.sources)[0]
                for who, code in (("researcher", 403), ("curator_a", 403), ("site_staff", 403),
                                  ("coordinator_b", 404), ("outsider", 404)):  # fmt: skip
                    cases.append((name, source, action, who, code))
                continue
            for status, _label in kind.statuses:
                if status in row.sources:
                    code = 200
                elif status == DRAFT and role == CURATOR:
                    code = 404  # a draft never submitted is the requester's own
                else:
                    code = 409
                cases.append((name, status, action, ACTOR[role], code))
            source = sorted(row.sources - {DRAFT}) or sorted(row.sources)
            others = [("site_staff", 403), ("coordinator_b", 404), ("outsider", 404)]
            bystander = BYSTANDER[role]
            if {v: k for k, v in ACTOR.items()}[bystander] not in row.roles:  # open to both sides
                others.insert(0, (bystander, 403))
            for other, code in others:
                cases.append((name, source[0], action, other, code))
    return cases


def pytest_generate_tests(metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = _cases()
        ids = [f"{n}-{s}-{a}-{r}-{c}" for n, s, a, r, c in cases]
        metafunc.parametrize("case", cases, ids=ids)


def test_every_action_answers_as_the_contract_says(
    request, api_as, make_request_of, support_of, case
):
    name, status, action, role, code = case
    kind = get_kind(name)
    obj = make_request_of(kind, status)
    body = {**support_of(kind).data_for(obj, action), "comment": "Checked."}
    client = api_as(request.getfixturevalue(role))

    response = client.post(api_url(kind, obj, action), body, format="json")

    assert response.status_code == code, response.content
    answer = response.json()
    if code == 200:
        assert answer["id"] == obj.pk and answer["reference"] == obj.reference
        assert answer["history"][-1]["action"] == action
    else:
        assert "detail" in answer
        obj.refresh_from_db()
        assert obj.status == status and not obj.history.exists()
    if code == 409:
        assert answer["status"] == status
        assert action not in answer["allowed_actions"]


def test_an_unknown_action_is_no_route(api_as, researcher, make, kind):
    obj = make()
    response = api_as(researcher).post(api_url(kind, obj, "teleport"), {}, format="json")
    assert response.status_code == 404
    assert "detail" in response.json()
