"""Returns take a condition note per item (a note on one specimen is never copied onto another),
and a described lot comes back in parts: its outstanding count is tracked until all of it is
back, and only then is the loan returned. Through the service, the API, the admin's return page
and the researcher's page."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from elvis.workflow.service import perform
from loans.models import LoanItem

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
URL = "/api/v1/loan-requests/"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def loan(make_loan):
    """On loan: one specimen and a lot of 10."""
    loan = make_loan(status="on_loan", due_date=days(30))
    loan.items.filter(specimen__isnull=True).update(quantity=10, description="unsorted beetles")
    return loan


def items_of(loan) -> tuple[LoanItem, LoanItem]:
    specimen, lot = loan.items.order_by("pk")
    return specimen, lot


# -- the service ---------------------------------------------------------------------------------


def test_each_item_keeps_its_own_condition_note(loan, curator_a):
    specimen, lot = items_of(loan)

    perform(loan, "return_items", actor=curator_a, items=[
        {"item": specimen.pk, "note": "Left antenna lost."},
        {"item": lot.pk, "note": "Fine."},
    ])  # fmt: skip

    specimen.refresh_from_db()
    lot.refresh_from_db()
    assert specimen.return_condition == "Left antenna lost."
    assert lot.return_condition == "Fine."


def test_a_lot_comes_back_in_parts_and_the_loan_is_returned_only_when_all_is_back(loan, curator_a):
    specimen, lot = items_of(loan)

    loan = perform(loan, "return_items", actor=curator_a, items=[
        {"item": specimen.pk}, {"item": lot.pk, "count": 6, "note": "One pronotum detached."},
    ])  # fmt: skip
    lot.refresh_from_db()
    assert loan.status == "partially_returned" and loan.returned_on is None
    assert (lot.returned_count, lot.outstanding_count, lot.returned_on) == (6, 4, None)
    assert list(LoanItem.objects.filter(loan=loan).outstanding()) == [lot]

    loan = perform(loan, "return_items", actor=curator_a, items=[
        {"item": lot.pk, "note": "The rest, fine."},
    ])  # fmt: skip
    lot.refresh_from_db()
    assert loan.status == "returned" and loan.returned_on == TODAY
    assert (lot.returned_count, lot.returned_on, lot.received_by) == (10, TODAY, curator_a)
    assert lot.return_condition == "One pronotum detached.\nThe rest, fine."
    # Each part in the history, with the count that came back.
    first, second = loan.history.filter(action="return_items").order_by("pk")
    assert first.data["items"] == [
        {"item": specimen.pk, "count": 1, "note": ""},
        {"item": lot.pk, "count": 6, "note": "One pronotum detached."},
    ]
    assert (first.to_status, second.to_status) == ("partially_returned", "returned")
    assert second.data["items"] == [{"item": lot.pk, "count": 4, "note": "The rest, fine."}]


@pytest.mark.parametrize(
    "entry",
    [
        {"count": 11},  # more than outstanding
        {"count": 0},
        {"count": -2},
        {"count": "six"},
        {"note": "x" * 256},
    ],
)
def test_a_count_must_be_positive_and_at_most_what_is_outstanding(loan, curator_a, entry):
    _specimen, lot = items_of(loan)
    with pytest.raises(ValidationError) as info:
        perform(loan, "return_items", actor=curator_a, items=[{"item": lot.pk, **entry}])
    assert "items" in info.value.message_dict
    lot.refresh_from_db()
    assert lot.returned_count == 0 and not loan.history.exists()


def test_a_count_above_what_is_left_of_a_lot_is_refused(loan, curator_a):
    _specimen, lot = items_of(loan)
    perform(loan, "return_items", actor=curator_a, items=[{"item": lot.pk, "count": 6}])

    with pytest.raises(ValidationError) as info:
        perform(loan, "return_items", actor=curator_a, items=[{"item": lot.pk, "count": 5}])

    assert info.value.message_dict["items"] == [
        "Lot of 10: unsorted beetles — 4 outstanding, not 5."
    ]


def test_item_ids_alone_still_return_whole_items_with_the_shared_note(loan, curator_a):
    """The API's earlier form: ``items`` as ids, ``condition`` for them."""
    specimen, lot = items_of(loan)

    loan = perform(loan, "return_items", actor=curator_a, items=[specimen.pk, lot.pk],
                   condition="good")  # fmt: skip

    assert loan.status == "returned"
    assert set(loan.items.values_list("returned_count", "return_condition")) == {
        (1, "good"), (10, "good"),
    }  # fmt: skip


# -- the API -------------------------------------------------------------------------------------


def test_the_api_takes_per_item_notes_and_lot_counts(api_as, loan, curator_a, researcher):
    specimen, lot = items_of(loan)

    response = api_as(curator_a).post(
        f"{URL}{loan.pk}/return_items/",
        {"items": [{"item": lot.pk, "count": 6, "note": "Two damaged."}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "partially_returned"
    returned = {item["id"]: item for item in body["items"]}
    assert (returned[lot.pk]["returned_count"], returned[lot.pk]["return_condition"]) == (
        6, "Two damaged.",
    )  # fmt: skip
    assert (returned[specimen.pk]["returned_count"], returned[specimen.pk]["return_condition"]) == (
        0, "",
    )  # fmt: skip


@pytest.mark.parametrize(
    "items",
    [
        [{"item": 0, "count": 1}],  # not an item of this loan
        [{"count": 1}],
        [{"item": "LOT", "count": 1}],
        [{"item": 1, "count": 0}],
        [{"item": 1, "count": 999}],
        [{"item": 1, "colour": "red"}],
        [True],
        ["1", "1"],
        [],
    ],
)
def test_bad_returns_are_400_field_errors(api_as, loan, curator_a, items):
    _specimen, lot = items_of(loan)
    items = [
        {**entry, "item": lot.pk} if isinstance(entry, dict) and entry.get("item") == 1 else entry
        for entry in items
    ]

    response = api_as(curator_a).post(
        f"{URL}{loan.pk}/return_items/", {"items": items}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "items" in response.json()
    lot.refresh_from_db()
    assert lot.returned_count == 0


# -- the admin -----------------------------------------------------------------------------------


def admin_page(loan) -> str:
    return reverse("admin:loans_loanrequest_action", args=[loan.pk, "return_items"])


def test_the_admin_return_page_takes_a_note_per_item_and_a_count_for_a_lot(client, loan, curator_a):
    specimen, lot = items_of(loan)
    client.force_login(curator_a)

    form = client.get(admin_page(loan)).context["form"]
    assert f"items-{lot.pk}-count" in form.fields  # a lot of several: how many came back
    assert f"items-{specimen.pk}-count" not in form.fields  # one specimen: ticked or not
    assert {f"items-{specimen.pk}-note", f"items-{lot.pk}-note"} <= set(form.fields)
    assert form.fields["condition"].widget.is_hidden  # no shared note on the page

    response = client.post(admin_page(loan), {
        "items": [specimen.pk],
        f"items-{specimen.pk}-note": "Left antenna lost.",
        f"items-{lot.pk}-count": "6",  # a count chooses the lot, ticked or not
        f"items-{lot.pk}-note": "Fine.",
    })  # fmt: skip

    assert response.status_code == 302, response.context["form"].errors
    specimen.refresh_from_db()
    lot.refresh_from_db()
    assert (specimen.returned_on, specimen.return_condition) == (TODAY, "Left antenna lost.")
    assert (lot.returned_count, lot.return_condition, lot.returned_on) == (6, "Fine.", None)
    loan.refresh_from_db()
    assert loan.status == "partially_returned"

    form = client.get(admin_page(loan)).context["form"]
    assert dict(form.fields["items"].choices) == {lot.pk: str(lot)}
    assert form.fields[f"items-{lot.pk}-count"].max_value == 4


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"count": "11"}, "count", "Ensure this value is less than or equal to 10."),
        ({"count": "0"}, "count", "Ensure this value is greater than or equal to 1."),
        ({"note": "Broken."}, "note", "Tick the item this note is about."),
    ],
)
def test_the_admin_return_page_refuses_a_bad_count_or_a_stray_note(
    client, loan, curator_a, fields, field, error
):
    _specimen, lot = items_of(loan)
    client.force_login(curator_a)

    response = client.post(
        admin_page(loan), {f"items-{lot.pk}-{name}": value for name, value in fields.items()}
    )

    assert response.status_code == 200
    assert response.context["form"].errors[f"items-{lot.pk}-{field}"] == [error]
    lot.refresh_from_db()
    assert lot.returned_count == 0 and not loan.history.exists()


# -- the researcher's page -----------------------------------------------------------------------


def test_the_researcher_sees_each_items_own_note_and_what_is_still_out(
    client, loan, researcher, curator_a
):
    specimen, lot = items_of(loan)
    perform(loan, "return_items", actor=curator_a, items=[
        {"item": specimen.pk, "note": "Left antenna lost."}, {"item": lot.pk, "count": 6},
    ])  # fmt: skip
    client.force_login(researcher)

    html = client.get(loan.get_absolute_url()).content.decode()

    rows = {row.split("</th>", 1)[0]: row for row in html.split('<th scope="row">')[1:]}
    [specimen_row] = [row for key, row in rows.items() if specimen.specimen.catalog_number in key]
    [lot_row] = [row for key, row in rows.items() if "unsorted beetles" in key]
    assert "Left antenna lost." in specimen_row
    assert "Left antenna lost." not in lot_row.split("</tr>")[0]
    assert "6 of 10 back" in lot_row.split("</tr>")[0]
