"""Curators move loans through the workflow from the admin: one page per action, with its form."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from elvis.workflow.table import CURATOR
from loans.models import LoanRequest
from loans.workflow import LOAN_WORKFLOW

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def url(view: str, *args) -> str:
    return reverse(f"admin:loans_loanrequest_{view}", args=args)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def item_ids(loan: LoanRequest) -> list[int]:
    return list(loan.items.order_by("pk").values_list("pk", flat=True))


def asked(loan: LoanRequest) -> dict[str, str]:
    """The loan's requester has asked for an extension (no form field of the action's)."""
    LoanRequest.objects.filter(pk=loan.pk).update(extension_wanted_until=days(300))
    return {}


# action -> (status before, the form's fields for this loan, status after)
ACTIONS = {
    "start_review": ("submitted", lambda loan: {}, "under_review"),
    "request_changes": (
        "under_review",
        lambda loan: {"comment": "Which drawer exactly?"},
        "changes_requested",
    ),
    "approve": ("under_review", lambda loan: {"comment": "Fine by us."}, "approved"),
    "reject": (
        "submitted",
        lambda loan: {"comment": "Types are not lent.", "confirm": "1"},
        "rejected",
    ),
    "cancel": (
        "approved",
        lambda loan: {"comment": "Needed for an exhibition.", "confirm": "1"},
        "cancelled",
    ),
    "dispatch": (
        "approved",
        lambda loan: {
            "carrier": "DHL",
            "tracking_number": "JD0146000033",
            "due_date": days(180).isoformat(),
        },
        "dispatched",
    ),
    "extend": ("on_loan", lambda loan: {"due_date": days(200).isoformat()}, "on_loan"),
    "decline_extension": (
        "on_loan",
        lambda loan: {"reason": "Needed for an exhibition.", **asked(loan)},
        "on_loan",
    ),
    "record_return": (
        "on_loan",
        lambda loan: {"carrier": "DHL", "tracking_number": "JD0146000099"},
        "on_loan",
    ),
    "return_items": (
        "on_loan",
        lambda loan: {"items": item_ids(loan), "condition": "good"},
        "returned",
    ),
    "close": ("returned", lambda loan: {}, "closed"),
}


def test_the_matrix_covers_every_action_a_curator_may_perform():
    assert set(ACTIONS) == LOAN_WORKFLOW.actions_for_roles({CURATOR})


@pytest.mark.parametrize("action", ACTIONS)
def test_every_curator_action_is_performed_through_its_admin_page(
    client, curator_a, make_loan, action
):
    before, fields, after = ACTIONS[action]
    loan = make_loan(status=before, due_date=days(30))
    client.force_login(curator_a)
    page = url("action", loan.pk, action)
    data = fields(loan)

    form = client.get(page)
    assert form.status_code == 200
    assert str(LOAN_WORKFLOW.transitions[action].label) in form.text
    response = client.post(page, data)

    assert response.status_code == 302, response.context["form"].errors
    assert response.url == url("change", loan.pk)
    loan.refresh_from_db()
    assert loan.status == after
    entry = loan.history.get()
    assert (entry.action, entry.actor, entry.from_status, entry.to_status) == (
        action,
        curator_a,
        before,
        after,
    )
    assert entry.comment == data.get("comment", "")
    assert messages_of(response) == [
        f"{loan.reference}: {LOAN_WORKFLOW.transitions[action].label} done; "
        f"the request is now {loan.get_status_display().lower()}."
    ]


def test_the_change_page_offers_a_button_for_each_allowed_action(client, curator_a, make_loan):
    loan = make_loan(status="under_review")
    client.force_login(curator_a)

    response = client.get(url("change", loan.pk))

    offered = [entry["name"] for entry in response.context["workflow_actions"]]
    assert offered == ["request_changes", "approve", "reject"]
    for action in offered:
        assert f'href="{url("action", loan.pk, action)}"' in response.text


def test_dispatch_records_carrier_tracking_number_and_due_date(client, curator_a, make_loan):
    loan = make_loan(status="approved")
    client.force_login(curator_a)

    client.post(
        url("action", loan.pk, "dispatch"),
        {
            "carrier": "DHL",
            "tracking_number": "JD0146000033",
            "shipped_on": days(-1).isoformat(),
            "due_date": days(90).isoformat(),
        },
    )

    loan.refresh_from_db()
    assert (loan.status, loan.carrier, loan.tracking_number) == (
        "dispatched",
        "DHL",
        "JD0146000033",
    )
    assert (loan.shipped_on, loan.due_date, loan.original_due_date) == (
        days(-1),
        days(90),
        days(90),
    )


@pytest.mark.parametrize(
    ("status", "action", "fields", "field", "error"),
    [
        (
            "approved",
            "dispatch",
            {"carrier": "DHL", "tracking_number": "JD01", "due_date": days(-5).isoformat()},
            "due_date",
            "The due date must be in the future.",
        ),
        (
            "approved",
            "dispatch",
            {"carrier": "DHL", "tracking_number": "JD01", "due_date": "next spring"},
            "due_date",
            "Enter a valid date.",
        ),
        (
            "on_loan",
            "extend",
            {"due_date": days(10).isoformat()},
            "due_date",
            f"The new due date must be after the current one ({days(30).isoformat()}).",
        ),
        ("under_review", "reject", {"comment": "  "}, "comment", "This field is required."),
        (
            "on_loan",
            "return_items",
            {"condition": "good"},
            "items",
            "Choose at least one item that came back.",
        ),
    ],
)
def test_bad_input_redisplays_the_form_with_its_values_and_changes_nothing(
    client, curator_a, make_loan, status, action, fields, field, error
):
    loan = make_loan(status=status, due_date=days(30))
    client.force_login(curator_a)

    response = client.post(url("action", loan.pk, action), fields)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field] == [error]
    for value in fields.values():
        if value.strip():
            assert f'value="{value}"' in response.text
    loan.refresh_from_db()
    assert loan.status == status and loan.due_date == days(30)
    assert not loan.history.exists()


def test_return_items_offers_the_outstanding_items_and_records_partial_then_full_return(
    client, curator_a, make_loan
):
    loan = make_loan(status="on_loan", due_date=days(30))
    specimen_item, lot = loan.items.order_by("pk")
    client.force_login(curator_a)
    page = url("action", loan.pk, "return_items")

    choices = dict(client.get(page).context["form"].fields["items"].choices)
    assert choices == {specimen_item.pk: str(specimen_item), lot.pk: str(lot)}
    client.post(page, {"items": [lot.pk], "condition": "2 specimens damaged"})
    loan.refresh_from_db()
    lot.refresh_from_db()
    assert loan.status == "partially_returned"
    assert (lot.returned_on, lot.return_condition, lot.received_by) == (
        TODAY,
        "2 specimens damaged",
        curator_a,
    )

    choices = dict(client.get(page).context["form"].fields["items"].choices)
    assert choices == {specimen_item.pk: str(specimen_item)}
    client.post(
        page, {"items": [specimen_item.pk], "returned_on": days(-1).isoformat(), "condition": "ok"}
    )
    loan.refresh_from_db()
    assert (loan.status, loan.returned_on) == ("returned", days(-1))


def test_an_item_already_returned_cannot_be_returned_again(client, curator_a, make_loan):
    loan = make_loan(status="partially_returned", due_date=days(30))
    returned, outstanding = loan.items.order_by("pk")
    loan.items.filter(pk=returned.pk).update(returned_on=TODAY)
    client.force_login(curator_a)

    response = client.post(url("action", loan.pk, "return_items"), {"items": [returned.pk]})

    assert response.status_code == 200
    assert response.context["form"].errors["items"] == [
        f"Select a valid choice. {returned.pk} is not one of the available choices."
    ]
    outstanding.refresh_from_db()
    assert outstanding.returned_on is None
    loan.refresh_from_db()
    assert loan.status == "partially_returned"


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_action_from_the_wrong_state_shows_a_message_and_changes_nothing(
    client, curator_a, make_loan, method
):
    loan = make_loan(status="submitted")
    client.force_login(curator_a)
    data = {"carrier": "DHL", "tracking_number": "JD01", "due_date": days(90).isoformat()}

    response = getattr(client, method)(url("action", loan.pk, "dispatch"), data)

    assert response.status_code == 302 and response.url == url("change", loan.pk)
    assert messages_of(response) == ["“Dispatch” is not possible while the request is submitted."]
    loan.refresh_from_db()
    assert loan.status == "submitted" and loan.carrier == ""
    assert not loan.history.exists()


def test_a_conflicting_approval_stays_on_its_page_with_the_reason_and_changes_nothing(
    client, curator_a, make_loan, specimen_a
):
    make_loan(status="on_loan", title="Earlier loan")  # specimen_a is out on it
    loan = make_loan(status="under_review")
    client.force_login(curator_a)

    response = client.post(url("action", loan.pk, "approve"), {"comment": "Welcome"})

    assert response.status_code == 200
    [message] = response.context["form"].non_field_errors()
    assert message.startswith("This specimen is not available: A-0001")
    assert response.context["form"]["comment"].value() == "Welcome"
    loan.refresh_from_db()
    assert loan.status == "under_review"


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_institutions_coordinator_cannot_reach_the_action_page(
    client, coordinator_b, make_loan, method
):
    loan = make_loan(status="submitted")
    client.force_login(coordinator_b)

    response = getattr(client, method)(url("action", loan.pk, "start_review"), {})

    assert response.status_code == 404
    loan.refresh_from_db()
    assert loan.status == "submitted"


def test_requester_actions_are_forbidden_to_curators(client, curator_a, make_loan):
    loan = make_loan(status="dispatched")
    client.force_login(curator_a)

    assert client.get(url("action", loan.pk, "confirm_receipt")).status_code == 403
    assert client.post(url("action", loan.pk, "confirm_receipt"), {}).status_code == 403
    loan.refresh_from_db()
    assert loan.status == "dispatched"


def test_site_staff_without_a_membership_may_look_but_not_act(client, site_staff, make_loan):
    loan = make_loan(status="submitted")
    client.force_login(site_staff)

    assert client.get(url("change", loan.pk)).context["workflow_actions"] == []
    assert client.post(url("action", loan.pk, "start_review"), {}).status_code == 403
    loan.refresh_from_db()
    assert loan.status == "submitted"


def test_an_unknown_action_is_not_found(client, curator_a, make_loan):
    loan = make_loan(status="submitted")
    client.force_login(curator_a)

    assert client.get(url("action", loan.pk, "teleport")).status_code == 404


def test_a_researcher_is_sent_to_the_admin_login_from_an_action_page(client, researcher, make_loan):
    loan = make_loan(status="dispatched")
    client.force_login(researcher)

    response = client.post(url("action", loan.pk, "confirm_receipt"), {})

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    loan.refresh_from_db()
    assert loan.status == "dispatched"


def test_bulk_actions_are_the_curator_actions_without_input_or_reason(client, curator_a, make_loan):
    make_loan(status="submitted")
    client.force_login(curator_a)

    response = client.get(url("changelist"))

    offered = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert offered == ["", "start_review", "approve", "close"]


def test_a_bulk_action_acts_on_each_selected_loan_and_reports_failures(
    client, curator_a, make_loan
):
    first = make_loan(status="submitted", specimens=[])
    second = make_loan(status="submitted", specimens=[])
    sent_back = make_loan(status="changes_requested", specimens=[])
    client.force_login(curator_a)

    response = client.post(
        url("changelist"),
        {"action": "start_review", "_selected_action": [first.pk, second.pk, sent_back.pk]},
    )

    assert response.status_code == 302
    statuses = dict(LoanRequest.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: "under_review",
        second.pk: "under_review",
        sent_back.pk: "changes_requested",
    }
    done, failed = messages_of(response)
    assert done.startswith("Start review: 2 requests done")
    assert first.reference in done and second.reference in done
    assert failed == (
        f"Start review failed for 1 request: {sent_back.reference}: "
        "“Start review” is not possible while the request is changes requested."
    )


def test_a_bulk_action_ignores_a_draft_that_was_never_submitted(client, curator_a, make_loan):
    """A draft is the requester's own until submitted: a forged selection cannot reach it."""
    submitted = make_loan(status="submitted", specimens=[])
    draft = make_loan(status="draft", specimens=[])
    client.force_login(curator_a)

    client.post(
        url("changelist"),
        {"action": "start_review", "_selected_action": [submitted.pk, draft.pk]},
    )

    statuses = dict(LoanRequest.objects.values_list("pk", "status"))
    assert statuses == {submitted.pk: "under_review", draft.pk: "draft"}
