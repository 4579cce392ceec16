"""A loan's whole life through the workflow service: the action fields each step records."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from collections_app.models import Specimen
from elvis.workflow.errors import ActionConflict
from elvis.workflow.service import perform
from loans.models import LoanItem, LoanRequest

TODAY = datetime.date.today()
pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def test_a_loan_goes_from_draft_to_closed_recording_every_step(
    make_loan, researcher, curator_a, specimen_a
):
    loan = make_loan()
    perform(loan, "submit", actor=researcher, comment="Please consider.")
    perform(loan, "start_review", actor=curator_a)
    perform(loan, "approve", actor=curator_a)
    loan = perform(loan, "dispatch", actor=curator_a, carrier="DHL", tracking_number="JD01",
                   shipped_on=TODAY, due_date=days(90))  # fmt: skip
    assert (loan.carrier, loan.tracking_number, loan.due_date) == ("DHL", "JD01", days(90))
    assert loan.original_due_date == days(90)
    specimen_a.refresh_from_db()
    assert specimen_a.is_available is False

    loan = perform(loan, "confirm_receipt", actor=researcher)
    assert loan.status == "on_loan" and loan.received_on == TODAY
    loan = perform(loan, "extend", actor=curator_a, due_date=days(120), comment="Thesis delayed")
    assert loan.due_date == days(120) and loan.original_due_date == days(90)

    first, second = loan.items.order_by("pk")
    loan = perform(loan, "return_items", actor=curator_a, items=[first.pk], condition="good")
    assert loan.status == "partially_returned"
    first.refresh_from_db()
    assert (first.returned_on, first.return_condition, first.received_by) == (
        TODAY,
        "good",
        curator_a,
    )
    specimen_a.refresh_from_db()
    assert specimen_a.is_available is True
    loan = perform(loan, "return_items", actor=curator_a, items=[second.pk], condition="1 broken")
    assert loan.status == "returned" and loan.returned_on == TODAY
    loan = perform(loan, "close", actor=curator_a)

    assert loan.status == "closed"
    assert list(loan.history.values_list("action", "from_status", "to_status")) == [
        ("submit", "draft", "submitted"),
        ("start_review", "submitted", "under_review"),
        ("approve", "under_review", "approved"),
        ("dispatch", "approved", "dispatched"),
        ("confirm_receipt", "dispatched", "on_loan"),
        ("extend", "on_loan", "on_loan"),
        ("return_items", "on_loan", "partially_returned"),
        ("return_items", "partially_returned", "returned"),
        ("close", "returned", "closed"),
    ]
    extension = loan.history.get(action="extend")
    assert extension.data["due_date"] == days(120).isoformat()
    assert extension.comment == "Thesis delayed" and extension.actor == curator_a


def test_changes_requested_goes_back_to_the_requester_and_can_be_resubmitted(
    make_loan, researcher, curator_a
):
    loan = make_loan(status="submitted")
    loan = perform(loan, "request_changes", actor=curator_a, comment="Which drawer?")
    assert loan.status == "changes_requested" and loan.is_editable_draft
    loan = perform(loan, "submit", actor=researcher)
    assert loan.status == "submitted"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("no_items", "items"),
        ("no_collection", "collections"),
        ("dates_reversed", "requested_end"),
        ("foreign_specimen", "items"),
    ],
)
def test_an_incomplete_loan_cannot_be_submitted(make_loan, researcher, collection_b, change, field):
    loan = make_loan()
    if change == "no_items":
        loan.items.all().delete()
    elif change == "no_collection":
        loan.collections.clear()
    elif change == "dates_reversed":
        LoanRequest.objects.filter(pk=loan.pk).update(
            requested_end=loan.requested_start - datetime.timedelta(days=1)
        )
    else:
        other = Specimen.objects.create(collection=collection_b, catalog_number="B-1")
        LoanItem.objects.create(loan=loan, specimen=other)
    with pytest.raises(ValidationError) as info:
        perform(loan, "submit", actor=researcher)
    assert field in info.value.message_dict
    loan.refresh_from_db()
    assert loan.status == "draft"


def test_a_specimen_promised_to_another_loan_blocks_approval_with_its_number(
    make_loan, curator_a, specimen_a
):
    make_loan(status="on_loan", title="First")
    second = make_loan(status="submitted", title="Second")
    with pytest.raises(ActionConflict) as info:
        perform(second, "approve", actor=curator_a)
    assert "A-0001" in info.value.message
    second.refresh_from_db()
    assert second.status == "submitted" and not second.history.exists()


def test_a_returned_specimen_can_be_lent_again(make_loan, curator_a, specimen_a):
    first = make_loan(status="on_loan", title="First")
    first.items.update(returned_on=TODAY)
    second = make_loan(status="submitted", title="Second")
    assert perform(second, "approve", actor=curator_a).status == "approved"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"due_date": days(10)}, "due_date"),  # not after the current due date (days(30))
        ({"due_date": "next week"}, "due_date"),
        ({}, "due_date"),
    ],
)
def test_an_extension_must_move_the_due_date_later(make_loan, curator_a, data, field):
    loan = make_loan(status="on_loan", due_date=days(30))
    with pytest.raises(ValidationError) as info:
        perform(loan, "extend", actor=curator_a, **data)
    assert field in info.value.message_dict


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"items": []}, "items"),
        ({"items": "abc"}, "items"),
        ({"items": [999999]}, "items"),
        ({"items": [0], "returned_on": days(3)}, "returned_on"),
    ],
)
def test_returns_name_outstanding_items_of_this_loan_on_a_real_date(
    make_loan, curator_a, data, field
):
    loan = make_loan(status="on_loan", due_date=days(30))
    if data["items"] == [0]:
        data["items"] = [loan.items.first().pk]
    with pytest.raises(ValidationError) as info:
        perform(loan, "return_items", actor=curator_a, **data)
    assert field in info.value.message_dict


def test_overdue_is_derived_from_the_due_date_while_items_are_out(make_loan):
    late = make_loan(status="on_loan", due_date=days(-1), title="late")
    make_loan(status="on_loan", due_date=days(5), title="in time")
    make_loan(status="returned", due_date=days(-10), title="back")
    assert list(LoanRequest.objects.overdue()) == [late]
    assert late.is_overdue
    flags = dict(LoanRequest.objects.with_overdue().values_list("title", "overdue"))
    assert flags == {"late": True, "in time": False, "back": False}


def test_lending_and_returning_a_specimen_moves_its_updated_at(make_loan, curator_a, specimen_a):
    loan = make_loan(status="approved")
    before = specimen_a.updated_at
    perform(loan, "dispatch", actor=curator_a, carrier="DHL", tracking_number="T1",
            due_date=days(60))  # fmt: skip
    specimen_a.refresh_from_db()
    assert specimen_a.updated_at > before and not specimen_a.is_available
