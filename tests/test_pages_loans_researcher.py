"""The researcher's loan pages: my requests, the request form, editing, actions, messages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collections_app.models import Collection, Institution, Specimen
from elvis.workflow.service import perform
from loans.models import LoanComment, LoanHistory, LoanItem, LoanRequest

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def days(n: int) -> str:
    return (TODAY + datetime.timedelta(days=n)).isoformat()


def management(prefix: str, total: int = 1, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def request_data(collection: Collection, **overrides) -> dict:
    """A complete request form as a browser posts it: one blank lot row, one blank permit row."""
    data = {
        "title": "Revision of Carabus",
        "collections": [collection.pk],
        "purpose": "Morphological revision of the genus.",
        "requested_start": days(10),
        "requested_end": days(100),
        "borrower_institution": "University of Oslo, Natural History Museum",
        "shipping_address": "Sars gate 1, 0562 Oslo",
        **management("lots"),
        "lots-0-description": "",
        "lots-0-quantity": "1",
        **management("permits"),
        "permits-0-type": "",
        "permits-0-number": "",
        "permits-0-issuing_authority": "",
        "permits-0-valid_from": "",
        "permits-0-valid_until": "",
    }
    data.update(overrides)
    return data


def create_url(institution: Institution) -> str:
    return reverse("loans:create") + f"?institution={institution.pk}"


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def as_researcher(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def specimen_a2(collection_a) -> Specimen:
    return Specimen.objects.create(
        collection=collection_a, catalog_number="A-0002", scientific_name="Carabus nitens"
    )


# -- my loan requests ----------------------------------------------------------------------------


def test_my_loan_requests_lists_only_my_own_with_status_and_overdue_flag(
    as_researcher, make_loan, outsider, curator_a
):
    mine = make_loan(title="My draft")
    late = make_loan(title="My late loan", status="on_loan", due_date=TODAY - datetime.timedelta(1))
    theirs = make_loan(title="Someone else's", requester=outsider)

    response = as_researcher.get(reverse("loans:list"))

    assert response.status_code == 200
    assert {loan.pk for loan in response.context["access_requests"]} == {mine.pk, late.pk}
    html = response.content.decode()
    assert mine.reference in html and "Draft" in html
    assert theirs.reference not in html
    assert html.count('class="overdue"') == 1
    assert reverse("loans:create") in html


@pytest.mark.parametrize(("status", "expected"), [("submitted", {"B"}), ("", {"A", "B"})])
def test_my_loan_requests_filter_by_status(as_researcher, make_loan, status, expected):
    make_loan(title="A")
    make_loan(title="B", status="submitted")

    response = as_researcher.get(reverse("loans:list"), {"status": status})

    assert {loan.title for loan in response.context["access_requests"]} == expected


def test_an_unknown_status_filter_is_reported_not_a_crash(as_researcher, make_loan):
    make_loan()
    response = as_researcher.get(reverse("loans:list"), {"status": "lost"})
    assert response.status_code == 200
    assert response.context["filter_form"].errors["status"]


def test_loan_pages_need_a_login(client, make_loan):
    loan = make_loan()
    for url in (reverse("loans:list"), reverse("loans:create"), loan.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_my_loan_requests_run_the_same_queries_for_one_or_many_rows(
    as_researcher, make_loan, institution_b
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert as_researcher.get(reverse("loans:list")).status_code == 200
        return len(queries)

    make_loan()
    one = count()
    for n in range(6):
        make_loan(title=f"Loan {n}", status="on_loan", due_date=TODAY)
    assert count() == one


# -- a new request -------------------------------------------------------------------------------


def test_a_new_request_starts_by_choosing_an_institution_that_lends(
    as_researcher, collection_a, institution_b
):
    response = as_researcher.get(reverse("loans:create"))
    assert response.status_code == 200
    choices = list(response.context["form"].fields["institution"].queryset)
    assert choices == [collection_a.institution]  # institution B has no collection

    response = as_researcher.get(create_url(institution_b))
    assert response.status_code == 400
    assert "does not accept loan requests" in response.content.decode()


def test_a_researcher_saves_a_draft_with_a_specimen_and_a_described_lot(
    as_researcher, researcher, collection_a, specimen_a
):
    data = request_data(
        collection_a,
        specimens=[specimen_a.pk],
        **{"lots-0-description": "20 unsorted Carabidae, drawer 14", "lots-0-quantity": "20"},
        _save="1",
    )

    response = as_researcher.post(create_url(collection_a.institution), data)

    loan = LoanRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == loan.get_absolute_url()
    assert re.fullmatch(rf"LOAN-{TODAY.year}-\d{{6}}", loan.reference)
    assert (loan.status, loan.requester, loan.institution) == (
        "draft",
        researcher,
        collection_a.institution,
    )
    assert list(loan.collections.all()) == [collection_a]
    assert loan.requested_start.isoformat() == days(10)
    assert sorted(
        loan.items.values_list("specimen__catalog_number", "description", "quantity"),
        key=str,
    ) == [("A-0001", "", 1), (None, "20 unsorted Carabidae, drawer 14", 20)]
    assert not loan.permits.exists() and not loan.history.exists()
    assert f"Your draft {loan.reference} is saved." in flashed(response)


def test_save_and_submit_submits_through_the_workflow(
    as_researcher, researcher, curator_a, collection_a, specimen_a
):
    data = request_data(collection_a, specimens=[specimen_a.pk], _submit="1")

    response = as_researcher.post(create_url(collection_a.institution), data)

    loan = LoanRequest.objects.get()
    assert response.status_code == 302
    assert loan.status == "submitted" and loan.submitted_at is not None
    assert list(loan.history.values_list("action", "actor")) == [("submit", researcher.pk)]
    assert f"Your request {loan.reference} is submitted." in flashed(response)


@pytest.fixture
def foreign_specimen(collection_b) -> Specimen:
    return Specimen.objects.create(collection=collection_b, catalog_number="B-1")


@pytest.fixture
def unchosen_specimen(institution_a) -> Specimen:
    other = Collection.objects.create(institution=institution_a, code="MAM", name="Mammals")
    return Specimen.objects.create(collection=other, catalog_number="M-1")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"requested_start": days(50), "requested_end": days(20)},
            "requested_end",
            "before its start",
        ),
        ({"requested_start": days(-1)}, "requested_start", "cannot start in the past"),
        ({"requested_start": "31/02/2020"}, "requested_start", "Enter a valid date"),
        ({"title": ""}, "title", "This field is required"),
        # A draft may leave the collections empty; a submission may not.
        ({"collections": [], "_submit": "1"}, "collections", "This field is required"),
        ({"specimens": ["foreign"]}, "specimens", "is not in the catalogue"),
        ({"specimens": ["unchosen"]}, "specimens", "Not in the chosen collections: M-1"),
        ({"specimens": ["bogus"]}, "specimens", "is not a specimen"),
    ],
)
def test_bad_input_shows_the_error_beside_its_field_and_keeps_what_was_typed(
    as_researcher, collection_a, specimen_a, request, overrides, field, message
):
    if overrides.get("specimens") in (["foreign"], ["unchosen"]):  # forged in the POST
        overrides["specimens"] = [
            request.getfixturevalue(f"{overrides['specimens'][0]}_specimen").pk
        ]
    data = request_data(collection_a, **{"specimens": [specimen_a.pk], **overrides, "_save": "1"})

    response = as_researcher.post(create_url(collection_a.institution), data)

    assert response.status_code == 400
    assert not LoanRequest.objects.exists()
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html  # rendered next to the field, linked to it
    if field != "title":
        assert 'value="Revision of Carabus"' in html
    assert "Sars gate 1, 0562 Oslo" in html
    if field != "specimens":
        assert f'name="specimens" value="{specimen_a.pk}" checked' in html


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"lots-0-description": "", "lots-0-quantity": "5"}, "description", "required"),
        ({"lots-0-description": "Drawer 14", "lots-0-quantity": "0"}, "quantity", "greater than"),
        (
            {"permits-0-type": "cites", "permits-0-number": "X1",
             "permits-0-issuing_authority": "DEFRA", "permits-0-valid_from": days(10),
             "permits-0-valid_until": days(5)},
            "valid_until",
            "expires before it becomes valid",
        ),
        ({"permits-0-type": "cites"}, "number", "required"),
    ],
)  # fmt: skip
def test_bad_rows_show_the_error_in_their_row(as_researcher, collection_a, row, field, message):
    data = request_data(collection_a, **row, _save="1")

    response = as_researcher.post(create_url(collection_a.institution), data)

    assert response.status_code == 400
    assert not LoanRequest.objects.exists()
    formset = response.context["editor"].lots if "lots-0-quantity" in row else None
    formset = formset or response.context["editor"].permits
    assert any(message in error for error in formset.forms[0].errors[field])
    html = response.content.decode()
    for value in row.values():
        if value:
            assert f'value="{value}"' in html or f'<option value="{value}" selected' in html


def test_submitting_without_items_saves_the_draft_and_shows_why_it_was_not_sent(
    as_researcher, collection_a
):
    data = request_data(collection_a, _submit="1")

    response = as_researcher.post(create_url(collection_a.institution), data)

    loan = LoanRequest.objects.get()
    assert response.status_code == 400 and loan.status == "draft"
    assert response.context["form"].errors["specimens"] == [
        "Add at least one specimen or described lot."
    ]
    html = response.content.decode()
    assert f'action="{reverse("loans:edit", args=[loan.pk])}"' in html  # no second draft
    assert 'value="Revision of Carabus"' in html
    assert f"Your draft {loan.reference} is saved, but it cannot be submitted yet." in html


# -- the catalogue search ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("A-0001", ["A-0001"]),
        ("A-000", []),  # catalogue numbers match exactly
        ("carabus", ["A-0001", "A-0002"]),
        ("Carabus n", ["A-0002"]),
        ("nitens", []),  # names match from their start
    ],
)
def test_the_catalogue_search_finds_exact_numbers_and_name_prefixes(
    as_researcher, collection_a, specimen_a, specimen_a2, collection_b, q, expected
):
    Specimen.objects.create(
        collection=collection_b, catalog_number="A-0001", scientific_name="Carabus"
    )

    response = as_researcher.get(
        reverse("loans:specimen-search"), {"collection": collection_a.pk, "q": q}
    )

    assert response.status_code == 200
    assert [s.catalog_number for s in response.context["results"]] == expected
    for specimen in response.context["results"]:
        assert f'name="specimens" value="{specimen.pk}"' in response.content.decode()


def test_the_search_marks_chosen_specimens_and_explains_missing_input(
    as_researcher, collection_a, specimen_a, specimen_a2
):
    url = reverse("loans:specimen-search")
    response = as_researcher.get(
        url, {"collection": collection_a.pk, "q": "Carabus", "chosen": specimen_a.pk}
    )
    html = response.content.decode()
    assert "already added" in html
    assert f'value="{specimen_a.pk}"' not in html and f'value="{specimen_a2.pk}"' in html

    response = as_researcher.get(url, {"q": "Carabus"})
    assert response.status_code == 400
    assert "Tick the collection(s) to search in first." in response.content.decode()


def test_searching_without_javascript_shows_results_and_keeps_everything_typed(
    as_researcher, collection_a, specimen_a, specimen_a2
):
    data = request_data(
        collection_a, title="", specimens=[specimen_a.pk], specimen_q="Carabus n", _search="1"
    )

    response = as_researcher.post(create_url(collection_a.institution), data)

    assert response.status_code == 200
    assert not LoanRequest.objects.exists()
    assert [s.pk for s in response.context["results"]] == [specimen_a2.pk]
    html = response.content.decode()
    assert "errorlist" not in html  # nothing is judged before saving
    assert 'value="Carabus n"' in html and "Sars gate 1, 0562 Oslo" in html
    assert f'name="specimens" value="{specimen_a.pk}" checked' in html


def test_adding_a_lot_row_keeps_the_rows_typed_so_far(as_researcher, collection_a):
    data = request_data(collection_a, **{"lots-0-description": "Drawer 14"}, _add_lot="1")

    response = as_researcher.post(create_url(collection_a.institution), data)

    assert response.status_code == 200
    assert len(response.context["editor"].lots.forms) == 2
    assert 'value="Drawer 14"' in response.content.decode()


# -- editing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "expected"),
    [("researcher", 200), ("curator_a", 403), ("coordinator_b", 404), ("outsider", 404)],
)
def test_only_the_requester_may_edit_a_draft(client, make_loan, request, user, expected):
    loan = make_loan(status="changes_requested")  # sent back: editable, and the curator sees it
    client.force_login(request.getfixturevalue(user))
    assert client.get(reverse("loans:edit", args=[loan.pk])).status_code == expected
    posted = client.post(reverse("loans:edit", args=[loan.pk]), {"_save": "1"})
    assert posted.status_code == (400 if expected == 200 else expected)  # 400: empty form


@pytest.mark.parametrize("status", ["submitted", "approved", "withdrawn"])
def test_a_request_past_the_draft_stage_cannot_be_edited(
    as_researcher, make_loan, collection_a, status
):
    loan = make_loan(status=status)
    url = reverse("loans:edit", args=[loan.pk])

    response = as_researcher.post(url, request_data(collection_a, title="Changed", _save="1"))

    assert response.status_code == 302 and response["Location"] == loan.get_absolute_url()
    assert "it can no longer be edited" in flashed(response)[0]
    loan.refresh_from_db()
    assert loan.title == "Revision of Carabus" and loan.status == status


def test_editing_a_draft_replaces_its_specimens_lots_and_content(
    as_researcher, make_loan, collection_a, specimen_a, specimen_a2
):
    loan = make_loan(status="changes_requested")
    lot = loan.items.get(specimen__isnull=True)
    response = as_researcher.get(reverse("loans:edit", args=[loan.pk]))
    assert response.status_code == 200
    assert f'name="specimens" value="{specimen_a.pk}" checked' in response.content.decode()

    data = request_data(
        collection_a,
        title="Revision of Carabus, part 2",
        specimens=[specimen_a2.pk],
        **management("lots", total=2, initial=1),
        **{"lots-0-id": lot.pk, "lots-0-description": lot.description, "lots-0-quantity": "3",
           "lots-1-description": "Drawer 15", "lots-1-quantity": "1"},
        _save="1",
    )  # fmt: skip
    response = as_researcher.post(reverse("loans:edit", args=[loan.pk]), data)

    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.title == "Revision of Carabus, part 2" and loan.status == "changes_requested"
    assert sorted(
        loan.items.values_list("specimen__catalog_number", "description", "quantity"), key=str
    ) == [("A-0002", "", 1), (None, "20 unsorted Carabidae, drawer 14", 3), (None, "Drawer 15", 1)]


# -- actions on the timeline ---------------------------------------------------------------------


def action_url(loan: LoanRequest, action: str) -> str:
    return reverse("loans:action", args=[loan.pk, action])


@pytest.mark.parametrize(
    ("status", "action", "data", "expected"),
    [
        ("draft", "submit", {}, "submitted"),
        ("changes_requested", "submit", {}, "submitted"),
        (
            "submitted",
            "withdraw",
            {"comment": "Found them elsewhere.", "confirm": "1"},
            "withdrawn",
        ),
        ("draft", "withdraw", {"confirm": "1"}, "withdrawn"),
        ("dispatched", "confirm_receipt", {"received_on": TODAY.isoformat()}, "on_loan"),
        ("dispatched", "confirm_receipt", {}, "on_loan"),
    ],
)
def test_the_requester_acts_from_the_timeline(
    as_researcher, researcher, make_loan, status, action, data, expected
):
    loan = make_loan(status=status)
    detail = as_researcher.get(loan.get_absolute_url()).content.decode()
    assert f'="{action_url(loan, action)}"' in detail  # a form's action, or a link to confirm

    response = as_researcher.post(action_url(loan, action), data)

    assert response.status_code == 302 and response["Location"] == loan.get_absolute_url()
    loan.refresh_from_db()
    assert loan.status == expected
    entry = loan.history.get()
    assert (entry.action, entry.actor, entry.comment) == (
        action,
        researcher,
        data.get("comment", ""),
    )


@pytest.mark.parametrize(
    ("status", "action"),
    [("draft", "confirm_receipt"), ("withdrawn", "withdraw"), ("on_loan", "submit")],
)
def test_an_action_from_the_wrong_state_is_a_message_and_changes_nothing(
    as_researcher, make_loan, status, action
):
    loan = make_loan(status=status)

    # Even with bad input: the state is what stops it, and that is what the researcher is told.
    response = as_researcher.post(action_url(loan, action), {"received_on": "soon"}, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "is not possible while the request is" in html and "Enter a valid date" not in html
    loan.refresh_from_db()
    assert loan.status == status and not loan.history.exists()


def test_action_input_errors_are_shown_in_the_action_form(as_researcher, make_loan):
    loan = make_loan(status="dispatched")

    response = as_researcher.post(
        action_url(loan, "confirm_receipt"), {"received_on": "2999-01-01", "comment": "Arrived"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "This date is in the future." in html and 'value="2999-01-01"' in html
    loan.refresh_from_db()
    assert loan.status == "dispatched"


def test_submitting_an_incomplete_draft_from_the_timeline_says_what_is_missing(
    as_researcher, make_loan
):
    loan = make_loan(specimens=[])
    loan.items.all().delete()

    response = as_researcher.post(action_url(loan, "submit"))

    assert response.status_code == 400
    assert "Items: Add at least one specimen or described lot." in response.content.decode()
    loan.refresh_from_db()
    assert loan.status == "draft"


@pytest.mark.parametrize(
    ("user", "action", "expected"),
    [
        ("curator_a", "submit", 403),  # sees it, but only the requester submits
        ("outsider", "submit", 404),
        ("coordinator_b", "withdraw", 404),
        ("researcher", "approve", 404),  # curators' actions are not on these pages
        ("researcher", "explode", 404),
    ],
)
def test_actions_of_others_are_refused(client, make_loan, request, user, action, expected):
    loan = make_loan(status="changes_requested")  # sent back: the curator sees it
    client.force_login(request.getfixturevalue(user))
    assert client.post(action_url(loan, action)).status_code == expected
    loan.refresh_from_db()
    assert loan.status == "changes_requested"


@pytest.mark.parametrize("user", ["curator_a", "site_staff", "superuser"])
def test_a_draft_never_submitted_is_the_requesters_own(client, make_loan, request, user):
    loan = make_loan()
    client.force_login(request.getfixturevalue(user))
    for url in (
        loan.get_absolute_url(),
        reverse("loans:edit", args=[loan.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(action_url(loan, "submit")).status_code == 404
    assert client.post(reverse("loans:comment", args=[loan.pk]), {"body": "hi"}).status_code == 404


# -- the timeline page ---------------------------------------------------------------------------


def test_the_timeline_shows_due_dates_extensions_items_and_history(
    as_researcher, make_loan, researcher, curator_a
):
    loan = make_loan(status="submitted")
    perform(loan, "approve", actor=curator_a)
    perform(
        loan, "dispatch", actor=curator_a, carrier="DHL", tracking_number="JD01", due_date=days(90)
    )
    perform(loan, "confirm_receipt", actor=researcher)
    perform(loan, "extend", actor=curator_a, due_date=days(120), comment="Thesis delayed")

    response = as_researcher.get(loan.get_absolute_url())

    html = response.content.decode()
    assert response.context["access_request"].status == "on_loan"
    assert f"{days(120)} (originally {days(90)})" in html
    assert f"to {days(120)} by Carl Curator" in html and "Thesis delayed" in html
    assert "Carl Curator: Dispatch (Approved → Dispatched)" in html
    assert "Rita Researcher: Confirm receipt (Dispatched → On loan)" in html
    assert "DHL JD01" in html and "not returned" in html
    # While on loan the requester may ask for more time and say how the specimens come back.
    offered = [form.transition.action for form in response.context["actions"]]
    assert offered == ["request_extension", "record_return"]


def test_staff_see_the_timeline_read_only_with_the_message_thread(client, make_loan, curator_a):
    loan = make_loan(status="submitted")
    client.force_login(curator_a)

    response = client.get(loan.get_absolute_url())

    assert response.status_code == 200
    assert response.context["actions"] == [] and not response.context["can_edit"]
    html = response.content.decode()
    assert reverse("loans:comment", args=[loan.pk]) in html
    assert "read-only" in html


@pytest.mark.parametrize("user", ["outsider", "coordinator_b"])
def test_outsiders_do_not_see_the_timeline(client, make_loan, request, user):
    client.force_login(request.getfixturevalue(user))
    assert client.get(make_loan().get_absolute_url()).status_code == 404


def test_the_timeline_runs_the_same_queries_for_one_or_many_rows(
    as_researcher, make_loan, researcher, curator_a, collection_a
):
    def count(loan) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert as_researcher.get(loan.get_absolute_url()).status_code == 200
        return len(queries)

    small = make_loan(specimens=[])
    big = make_loan(
        specimens=[
            Specimen.objects.create(collection=collection_a, catalog_number=f"X-{n}")
            for n in range(5)
        ]
    )
    for n in range(4):
        LoanComment.objects.create(
            request=big, author=curator_a if n % 2 else researcher, body="Hi"
        )
        LoanHistory.objects.create(
            request=big, action="extend", from_status="on_loan", to_status="on_loan",
            actor=curator_a, data={"due_date": days(n)},
        )  # fmt: skip
        big.permits.create(type="cites", number=f"P{n}", issuing_authority="DEFRA")
    assert LoanItem.objects.filter(loan=big).count() == 6
    assert count(big) == count(small)


# -- messages ------------------------------------------------------------------------------------


def test_a_message_posted_on_the_timeline_joins_the_thread(as_researcher, make_loan, researcher):
    loan = make_loan(status="submitted")

    response = as_researcher.post(
        reverse("loans:comment", args=[loan.pk]), {"body": "Could drawer 14 come too?"}, follow=True
    )

    assert response.status_code == 200
    comment = loan.comments.get()
    assert (comment.author, comment.body) == (researcher, "Could drawer 14 come too?")
    assert "Could drawer 14 come too?" in response.content.decode()


def test_an_empty_message_is_refused_beside_the_field(as_researcher, make_loan):
    loan = make_loan()
    response = as_researcher.post(reverse("loans:comment", args=[loan.pk]), {"body": "  "})
    assert response.status_code == 400
    assert 'id="id_body_error"' in response.content.decode()
    assert not loan.comments.exists()


@pytest.mark.parametrize(("user", "expected"), [("outsider", 404), ("site_staff", 403)])
def test_only_participants_write_messages(client, make_loan, request, user, expected):
    loan = make_loan(status="submitted")  # site staff see submitted requests only
    client.force_login(request.getfixturevalue(user))
    response = client.post(reverse("loans:comment", args=[loan.pk]), {"body": "hello"})
    assert response.status_code == expected
    assert not loan.comments.exists()
