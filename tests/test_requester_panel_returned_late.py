"""The admin's requester panel tells how the requester's earlier loans went: still out past the
due date (overdue), or back after it (returned late, by how many days) — read from each
request's own row, so the panel costs the same few queries however many earlier requests of
every kind it lists."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from elvis.workflow.kinds import all_kinds
from elvis.workflow.requester import earlier_requests
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def panel(client, loan) -> str:
    page = client.get(reverse("admin:loans_loanrequest_change", args=[loan.pk])).text
    return page.split('id="requester"', 1)[1].split("</div>", 1)[0]


def test_a_loan_back_after_its_due_date_is_flagged_returned_late(client, make_loan, curator_a):
    late = make_loan(status="closed", specimens=[], due_date=days(-40), returned_on=days(-37),
                     title="Back late")  # fmt: skip
    in_time = make_loan(status="closed", specimens=[], due_date=days(-40), returned_on=days(-40),
                        title="Back in time")  # fmt: skip
    out = make_loan(status="on_loan", specimens=[], due_date=days(-3), title="Still out")
    current = make_loan(status="submitted", specimens=[])
    client.force_login(curator_a)

    rows = panel(client, current).split("<tr>")[2:]

    def row_of(loan) -> str:
        [row] = [row for row in rows if loan.reference in row]
        return row

    assert f"returned late: 3 days after its due date {days(-40)}" in row_of(late)
    assert "returned late" not in row_of(in_time)
    assert f"overdue since {days(-3)}" in row_of(out)


def test_the_panel_costs_the_same_for_one_or_many_earlier_requests_of_every_kind(
    make_loan, researcher, curator_a, institution_a, collection_a
):
    current = make_loan(status="submitted", specimens=[])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            earlier_requests(current, curator_a)
        return len(queries)

    make_loan(status="closed", specimens=[], due_date=days(-9), returned_on=days(-2))
    earlier_requests(current, curator_a)  # the viewer's memberships, read once per user
    one = count()
    assert one == len(all_kinds())  # one query per kind
    for kind in all_kinds():
        for status in ("rejected", "withdrawn"):
            make_request(kind, requester=researcher, institution=institution_a,
                         collection=collection_a, status=status)  # fmt: skip
    make_loan(status="on_loan", specimens=[], due_date=days(-3))
    make_loan(status="closed", specimens=[], due_date=days(-9), returned_on=days(-1))

    found = earlier_requests(current, curator_a)
    assert len(found) == 1 + 2 * len(all_kinds()) + 2
    assert sum("returned late" in e.warning for e in found) == 2
    assert count() == one
