"""The work queue on the admin home page lists loans overdue (out past their due date) and
those due back within a week, each linking to its page: a loan never dispatched is not
overdue, and another institution's loans are not listed."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from elvis.workflow.kinds import get_kind
from elvis.workflow.queue import work_queue
from tests.contract.test_contract_admin_work_queue import kind_box, queue_html
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db


def _days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def loans(make_loan, researcher, institution_b, collection_b):
    elsewhere = make_request(
        get_kind("loan"), requester=researcher, institution=institution_b,
        collection=collection_b, status="on_loan", title="Another institution's",
    )  # fmt: skip
    type(elsewhere).objects.filter(pk=elsewhere.pk).update(due_date=_days(-3))
    return {
        "overdue": make_loan("on_loan", title="Overdue beetles", due_date=_days(-3)),
        "due_soon": make_loan("dispatched", title="Due soon", due_date=_days(5)),
        "later": make_loan("on_loan", title="Due later", due_date=_days(30)),
        # Approved, with a due date set aside in the past: never dispatched, so not overdue.
        "not_out": make_loan("approved", title="Not sent yet", due_date=_days(-10)),
        "elsewhere": elsewhere,
    }


def test_loans_overdue_and_due_back_this_week_are_listed_with_links(client, loans, curator_a):
    box = kind_box(queue_html(client, curator_a), get_kind("loan"))
    overdue = box.split('id="overdue-loan"', 1)[1].split("</ul>", 1)[0]
    due_soon = box.split('id="due-soon-loan"', 1)[1].split("</ul>", 1)[0]

    url = reverse("admin:loans_loanrequest_change", args=[loans["overdue"].pk])
    assert f'href="{url}"' in overdue and loans["overdue"].reference in overdue
    assert _days(-3).isoformat() in overdue
    assert loans["due_soon"].reference in due_soon
    for other in ("later", "not_out", "elsewhere"):
        assert loans[other].reference not in overdue + due_soon


def test_the_queue_data_counts_overdue_loans_in_scope(loans, curator_a, superuser):
    (loan_queue,) = [entry for entry in work_queue(curator_a) if entry.kind.name == "loan"]
    assert loan_queue.overdue is not None and loan_queue.due_soon is not None
    assert loan_queue.overdue.count == 1
    assert loan_queue.due_soon.count == 1
    (all_loans,) = [entry for entry in work_queue(superuser) if entry.kind.name == "loan"]
    assert all_loans.overdue is not None and all_loans.overdue.count == 2


def test_the_loan_lists_cost_the_same_queries_for_one_loan_as_for_many(
    client, make_loan, curator_a
):
    def queries() -> int:
        client.force_login(curator_a)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:index")).status_code == 200
        return len(captured)

    make_loan("on_loan", due_date=_days(-3))
    make_loan("on_loan", due_date=_days(2))
    few = queries()
    for n in range(6):
        make_loan("on_loan", specimens=[], due_date=_days(-n - 1))
        make_loan("dispatched", specimens=[], due_date=_days(n))
    assert queries() == few


def test_the_api_queue_lists_the_same_loans(api_as, loans, curator_a):
    body = api_as(curator_a).get("/api/v1/queue/").json()
    (entry,) = [entry for entry in body["kinds"] if entry["kind"] == "loan"]
    assert entry["overdue"]["count"] == 1
    assert entry["overdue"]["requests"][0]["reference"] == loans["overdue"].reference
    assert entry["overdue"]["requests"][0]["due"] == _days(-3).isoformat()
    assert [row["reference"] for row in entry["due_soon"]["requests"]] == [
        loans["due_soon"].reference
    ]
