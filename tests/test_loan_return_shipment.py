"""The requester (or a curator) records how a loan travels back, carrier and tracking number,
as the dispatch records the way out: kept on the loan, in the history, and shown to the other
side."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from elvis.workflow.errors import InvalidTransition
from elvis.workflow.service import perform
from notifications.models import Notification

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.mark.parametrize("actor", ["researcher", "curator_a"])
def test_either_side_records_the_return_shipment(request, make_loan, actor):
    loan = make_loan(status="on_loan", due_date=days(30), shipped_on=days(-20))
    who = request.getfixturevalue(actor)

    loan = perform(loan, "record_return", actor=who, carrier="CTT", tracking_number="EA1PT",
                   shipped_on=days(-1))  # fmt: skip

    assert loan.status == "on_loan"
    assert (loan.return_carrier, loan.return_tracking_number, loan.return_shipped_on) == (
        "CTT", "EA1PT", days(-1),
    )  # fmt: skip
    entry = loan.history.get()
    assert (entry.action, entry.actor, entry.data["tracking_number"]) == (
        "record_return", who, "EA1PT",
    )  # fmt: skip


def test_the_curators_are_told_and_see_it_on_the_loan(client, make_loan, researcher, curator_a):
    loan = make_loan(status="partially_returned", due_date=days(30))
    perform(loan, "record_return", actor=researcher, carrier="CTT", tracking_number="EA1PT")

    assert Notification.objects.filter(event="loan.return_sent", recipient=curator_a).exists()
    client.force_login(curator_a)
    page = client.get(reverse("admin:loans_loanrequest_change", args=[loan.pk])).text
    assert "EA1PT" in page and "CTT" in page


def test_the_researcher_records_it_on_the_loan_page_and_reads_it_back(
    client, make_loan, researcher
):
    loan = make_loan(status="on_loan", due_date=days(30), shipped_on=days(-20))
    client.force_login(researcher)
    action = reverse("loans:action", args=[loan.pk, "record_return"])

    bad = client.post(action, {"carrier": "CTT", "shipped_on": days(-30).isoformat()})
    assert bad.status_code == 400
    [form] = [f for f in bad.context["actions"] if f.transition.action == "record_return"]
    assert set(form.errors) == {"tracking_number"}

    before_dispatch = client.post(
        action, {"carrier": "CTT", "tracking_number": "EA1PT", "shipped_on": days(-30).isoformat()}
    )
    assert before_dispatch.status_code == 400
    loan.refresh_from_db()
    assert loan.return_carrier == ""

    assert client.post(action, {"carrier": "CTT", "tracking_number": "EA1PT"}).status_code == 302
    html = client.get(loan.get_absolute_url()).content.decode()
    assert 'id="return-shipment"' in html and "CTT EA1PT" in html


def test_no_return_shipment_before_the_loan_is_out(make_loan, researcher):
    loan = make_loan(status="approved")
    with pytest.raises(InvalidTransition):
        perform(loan, "record_return", actor=researcher, carrier="CTT", tracking_number="EA1PT")


def test_the_api_records_it(api_as, make_loan, researcher):
    loan = make_loan(status="on_loan", due_date=days(30))

    response = api_as(researcher).post(
        f"/api/v1/loan-requests/{loan.pk}/record_return/",
        {"carrier": "CTT", "tracking_number": "EA1PT"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["return_carrier"], body["return_tracking_number"]) == ("CTT", "EA1PT")
    assert body["return_shipped_on"] == TODAY.isoformat()
