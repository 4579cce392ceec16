"""A transition whose database connection breaks at its commit never answers a bare 500 that
hides the change: the answer is built inside the transaction, a commit whose reply was lost is
confirmed on a new connection, and when nothing can be said the ``Idempotency-Key`` replay
returns the committed result (or runs the action, if nothing was committed).

PostgreSQL's pass resets the real TCP connection through a proxy (``tests/database_faults.py``).
"""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import OperationalError, connection
from django.urls import reverse
from rest_framework.test import APIClient

from elvis.workflow.table import WITHDRAWN
from loans.models import LoanHistory, LoanRequest, LoanStatus
from notifications.models import Notification

from . import database_faults

URL = "/api/v1/loan-requests/"
database_link = database_faults.database_link


@pytest.fixture
def submitted(make_loan) -> LoanRequest:
    return make_loan(status=LoanStatus.SUBMITTED)


@pytest.fixture
def curator_api(curator_a) -> APIClient:
    client = APIClient()
    client.force_authenticate(curator_a)
    client.raise_request_exception = False  # a 500 is an answer here, not a test error
    return client


def unreachable(work):
    raise OperationalError("could not connect to server")


def served(response):
    """The next request starts on a new connection, as Django replaces a broken one."""
    connection.close()
    return response


def approve(client: APIClient, loan: LoanRequest, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return served(client.post(f"{URL}{loan.pk}/approve/", {"comment": "Fine by us."}, **headers))


def approvals(loan: LoanRequest) -> int:
    return LoanHistory.objects.filter(request=loan, action="approve").count()


@pytest.mark.parametrize("key", [None, "approve-once"])
@pytest.mark.parametrize("fault", ["after_commit", "reply_lost"])
def test_a_committed_transition_answers_200_with_the_resource_whatever_the_connection_did(
    database_link, curator_api, submitted, fault, key
):
    database_link.arm(fault, at_commit=2 if key else 1)

    response = approve(curator_api, submitted, key)

    assert database_link.faults_done == 1
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == LoanStatus.APPROVED
    assert [entry["action"] for entry in body["history"]] == ["approve"]
    submitted.refresh_from_db()
    assert submitted.status == LoanStatus.APPROVED
    assert approvals(submitted) == 1
    if key:
        replay = approve(curator_api, submitted, key)
        assert replay["Idempotent-Replayed"] == "true"
        assert replay.json() == body


def test_the_e_mails_of_a_commit_whose_reply_was_lost_wait_for_the_sweeper(
    database_link, curator_api, submitted, researcher
):
    """The commit's hooks are lost with the reply: the outbox rows were written, and the
    sweeper hands them over (the row, not the broker, is the truth)."""
    database_link.arm("reply_lost")

    assert approve(curator_api, submitted).status_code == 200

    email = Notification.objects.get(recipient=researcher, event="loan.approved")
    assert email.email_status == Notification.EmailStatus.PENDING
    assert email.email_enqueued_at is None


def test_a_transition_that_did_not_commit_is_a_500_and_its_key_runs_it_on_the_retry(
    database_link, curator_api, submitted
):
    database_link.arm("before_commit", at_commit=2)

    failed = approve(curator_api, submitted, "approve-once")

    assert failed.status_code == 500
    submitted.refresh_from_db()
    assert submitted.status == LoanStatus.SUBMITTED and approvals(submitted) == 0

    retried = approve(curator_api, submitted, "approve-once")

    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried
    assert retried.json()["status"] == LoanStatus.APPROVED
    assert approvals(submitted) == 1


def test_when_the_database_cannot_say_the_replay_of_the_key_returns_the_committed_result(
    database_link, curator_api, submitted, monkeypatch
):
    database_link.arm("reply_lost", at_commit=2)
    monkeypatch.setattr("elvis.transactions.on_new_connection", unreachable)

    failed = approve(curator_api, submitted, "approve-once")

    assert failed.status_code == 500  # the outcome could not be learnt in time
    monkeypatch.undo()
    replay = approve(curator_api, submitted, "approve-once")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["status"] == LoanStatus.APPROVED
    assert approvals(submitted) == 1


@pytest.mark.parametrize("fault", ["after_commit", "reply_lost", "before_commit"])
def test_a_fault_at_the_commit_of_the_keys_reservation_leaves_the_key_usable(
    database_link, curator_api, submitted, fault
):
    database_link.arm(fault, at_commit=1)

    first = approve(curator_api, submitted, "approve-once")
    retried = approve(curator_api, submitted, "approve-once")

    assert database_link.faults_done == 1
    assert {first.status_code, retried.status_code} <= {200, 500}
    assert retried.status_code == 200
    assert retried.json()["status"] == LoanStatus.APPROVED
    assert approvals(submitted) == 1


@pytest.mark.parametrize("fault", ["after_commit", "reply_lost"])
def test_an_admin_action_whose_connection_broke_at_the_commit_reports_it_done(
    database_link, client, curator_a, submitted, fault
):
    client.force_login(curator_a)
    database_link.arm(fault)

    response = served(
        client.post(
            reverse("admin:loans_loanrequest_action", args=[submitted.pk, "approve"]),
            {"comment": "Fine by us."},
        )
    )

    assert database_link.faults_done == 1
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{submitted.reference}: Approve done; the request is now approved."
    ]
    assert approvals(submitted) == 1


def test_a_researcher_page_action_whose_reply_was_lost_reports_it_done(
    database_link, client, researcher, submitted
):
    client.force_login(researcher)
    database_link.arm("reply_lost")

    response = served(
        client.post(
            reverse("loans:action", args=[submitted.pk, "withdraw"]),
            {"comment": "Not needed.", "confirm": "1"},
        )
    )

    assert database_link.faults_done == 1
    assert response.status_code == 302
    assert "withdrawn" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    submitted.refresh_from_db()
    assert submitted.status == WITHDRAWN
