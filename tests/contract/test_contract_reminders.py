"""Every reminder every kind declares goes out on its day, to the people it names, once per
date however often beat runs (``workflow.send_reminders`` walks the registry)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from elvis.workflow.kinds import CURATORS, REQUESTER, get_kind
from elvis.workflow.tasks import send_reminders
from notifications.models import Notification
from tests.kinds_support import kind_names

pytestmark = pytest.mark.django_db


def _cases() -> list[tuple[str, str]]:
    return [
        (name, reminder.event) for name in kind_names() for reminder in get_kind(name).reminders
    ]


def pytest_generate_tests(metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = _cases()
        metafunc.parametrize("case", cases, ids=["-".join(case) for case in cases])


def test_each_reminder_goes_out_once_to_the_people_it_names(
    make_request_of, researcher, curator_a, coordinator_a, case
):
    name, event = case
    kind = get_kind(name)
    [reminder] = [r for r in kind.reminders if r.event == event]
    offset = reminder.days_before if reminder.days_before is not None else -reminder.days_after
    when = timezone.localdate() + datetime.timedelta(days=offset)
    obj = make_request_of(kind, sorted(reminder.statuses)[0])
    kind.model.objects.filter(pk=obj.pk).update(**{reminder.field: when})
    too_late = make_request_of(kind, sorted(reminder.statuses)[0], title="Not yet")
    # A day later than due: not yet (before the window, or not long enough after the date).
    kind.model.objects.filter(pk=too_late.pk).update(
        **{reminder.field: when + datetime.timedelta(days=1)}
    )

    first, second = send_reminders(), send_reminders()

    full_name = f"{name}.{event}"
    assert (first[full_name], second[full_name]) == (1, 0)
    people = set()
    if REQUESTER in reminder.to:
        people.add(researcher)
    if CURATORS in reminder.to:
        people |= {curator_a, coordinator_a}
    for audience in set(reminder.to) - {REQUESTER, CURATORS}:
        people |= {
            p for p in kind.audiences[audience](obj) if p.pk
        }  # the kind's own, e.g. visitors
    notes = Notification.objects.filter(event=full_name)
    assert {note.recipient for note in notes} == people
    assert {note.reference for note in notes} == {obj.reference}
