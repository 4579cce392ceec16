"""Every transition of every kind tells the other side, after commit, under its event name:
the requester hears of what the institution does, the institution's people of what the
requester does; the actor is never told of their own action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from elvis.workflow.system import system_actor
from elvis.workflow.table import REQUESTER, SYSTEM
from notifications.models import Notification
from tests.kinds_support import kind_names

pytestmark = pytest.mark.django_db(transaction=True)


def _cases() -> list[tuple[str, str, str]]:
    return [
        (name, action, sorted(row.sources - {"draft"} or row.sources)[0])
        for name in kind_names()
        for action, row in get_kind(name).workflow.transitions.items()
    ]


def pytest_generate_tests(metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = _cases()
        metafunc.parametrize("case", cases, ids=["-".join(case) for case in cases])


def test_each_transition_notifies_the_other_side_once(
    make_request_of, support_of, researcher, curator_a, coordinator_a, case
):
    name, action, status = case
    kind = get_kind(name)
    obj = make_request_of(kind, status)
    row = kind.workflow.transitions[action]
    if SYSTEM in row.roles:  # the pipeline's own step, e.g. a delivery
        actor = system_actor()
    else:
        actor = researcher if REQUESTER in row.roles else curator_a

    perform(obj, action, actor=actor, **support_of(kind).data_for(obj, action))

    notes = Notification.objects.filter(event=f"{name}.{row.event}")
    expected = {curator_a, coordinator_a} if actor == researcher else {researcher}
    assert {note.recipient for note in notes} == expected
    assert all(note.reference == obj.reference for note in notes)
    assert all(note.subject for note in notes)
    # Curators and coordinators work in the admin: their link opens the request there.
    admin_page = reverse(
        f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]
    )
    assert {note.recipient: note.url for note in notes} == {
        person: obj.get_absolute_url() if person == researcher else admin_page
        for person in expected
    }


def test_every_event_a_kind_emits_is_in_the_webhook_catalogue(kind):
    from webhooks.events import known_events

    assert set(kind.event_names()) <= set(known_events())
    assert {f"{kind.name}.{row.event}" for row in kind.workflow.transitions.values()} <= set(
        known_events()
    )
