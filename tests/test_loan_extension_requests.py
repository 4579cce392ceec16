"""A researcher asks for a loan's extension; the curators accept it (with the date they choose)
or decline it with a reason: through the service, the API, the admin and the researcher's page,
one pending ask at a time, every step in the history and told to the other side."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from elvis.workflow.errors import ActionConflict, ActionForbidden, InvalidTransition
from elvis.workflow.service import perform
from notifications.models import Notification

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
URL = "/api/v1/loan-requests/"


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def admin_url(view: str, *args) -> str:
    return reverse(f"admin:loans_loanrequest_{view}", args=args)


@pytest.fixture
def out_loan(make_loan):
    return make_loan(status="on_loan", due_date=days(30))


def ask(loan, researcher, until: int = 90, reason: str = "The thesis takes longer."):
    return perform(loan, "request_extension", actor=researcher, due_date=days(until), reason=reason)


# -- the service ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["dispatched", "on_loan", "partially_returned"])
def test_the_requester_asks_for_an_extension_while_the_loan_is_out(
    make_loan, researcher, curator_a, status
):
    loan = make_loan(status=status, due_date=days(30))

    loan = ask(loan, researcher)

    assert loan.status == status and loan.due_date == days(30)  # nothing granted yet
    assert (loan.extension_wanted_until, loan.extension_asked_on) == (days(90), TODAY)
    assert loan.extension_reason == "The thesis takes longer."
    entry = loan.history.get()
    assert (entry.action, entry.actor, entry.from_status, entry.to_status) == (
        "request_extension", researcher, status, status,
    )  # fmt: skip
    assert entry.data == {"due_date": days(90).isoformat(), "reason": "The thesis takes longer."}
    note = Notification.objects.get(event="loan.extension_requested")
    assert note.recipient == curator_a and note.object_id == loan.pk


def test_accepting_sets_the_curators_date_and_closes_the_ask(out_loan, researcher, curator_a):
    ask(out_loan, researcher, until=90)

    loan = perform(out_loan, "extend", actor=curator_a, due_date=days(60), comment="Two months.")

    assert loan.due_date == days(60)
    assert not loan.extension_pending and loan.extension_reason == ""
    entry = loan.history.get(action="extend")
    assert entry.data == {"due_date": days(60).isoformat(), "asked_until": days(90).isoformat()}
    assert Notification.objects.filter(event="loan.extended", recipient=loan.requester).exists()


def test_declining_keeps_the_due_date_and_tells_the_requester_why(out_loan, researcher, curator_a):
    ask(out_loan, researcher)

    loan = perform(out_loan, "decline_extension", actor=curator_a, reason="Needed in March.")

    assert loan.due_date == days(30) and not loan.extension_pending
    entry = loan.history.get(action="decline_extension")
    assert entry.data == {"reason": "Needed in March.", "asked_until": days(90).isoformat()}
    note = Notification.objects.get(event="loan.extension_declined")
    assert note.recipient == researcher
    assert "Needed in March." in note.body and "Needed in March." in note.preview


def test_one_pending_ask_at_a_time(out_loan, researcher, curator_a):
    ask(out_loan, researcher)

    with pytest.raises(ActionConflict) as info:
        ask(out_loan, researcher, until=120)

    assert "already asked for" in str(info.value.message)
    out_loan.refresh_from_db()
    assert out_loan.extension_wanted_until == days(90)
    assert out_loan.history.count() == 1
    assert "request_extension" not in out_loan.allowed_actions(researcher)
    # Once answered, the requester may ask again.
    perform(out_loan, "decline_extension", actor=curator_a, reason="No.")
    assert ask(out_loan, researcher, until=120).extension_wanted_until == days(120)


def test_nothing_to_decline_without_an_ask(out_loan, curator_a):
    assert "decline_extension" not in out_loan.allowed_actions(curator_a)
    with pytest.raises(ActionConflict):
        perform(out_loan, "decline_extension", actor=curator_a, reason="No.")
    assert not out_loan.history.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"due_date": days(30), "reason": "More time."}, "due_date"),  # not after the due date
        ({"due_date": days(90)}, "reason"),
        ({"reason": "More time."}, "due_date"),
    ],
)
def test_an_ask_needs_a_later_date_and_a_reason(out_loan, researcher, data, field):
    with pytest.raises(ValidationError) as info:
        perform(out_loan, "request_extension", actor=researcher, **data)
    assert field in info.value.message_dict
    out_loan.refresh_from_db()
    assert not out_loan.extension_pending and not out_loan.history.exists()


def test_accepting_needs_a_date_after_the_current_due_date(out_loan, researcher, curator_a):
    ask(out_loan, researcher)
    with pytest.raises(ValidationError) as info:
        perform(out_loan, "extend", actor=curator_a, due_date=days(20))
    assert "due_date" in info.value.message_dict
    out_loan.refresh_from_db()
    assert out_loan.extension_pending and out_loan.due_date == days(30)


def test_only_the_requester_asks_and_only_curators_answer(out_loan, researcher, curator_a):
    with pytest.raises(ActionForbidden):
        perform(out_loan, "request_extension", actor=curator_a, due_date=days(90), reason="x")
    ask(out_loan, researcher)
    with pytest.raises(ActionForbidden):
        perform(out_loan, "decline_extension", actor=researcher, reason="x")


def test_no_ask_once_everything_is_back(make_loan, researcher):
    loan = make_loan(status="returned", due_date=days(30))
    with pytest.raises(InvalidTransition):
        ask(loan, researcher)


# -- the API -------------------------------------------------------------------------------------


def test_the_api_asks_answers_and_refuses_a_second_ask_with_409(
    api_as, out_loan, researcher, curator_a
):
    as_requester = api_as(researcher)
    body = {"due_date": days(90).isoformat(), "reason": "Thesis delayed."}

    response = as_requester.post(f"{URL}{out_loan.pk}/request_extension/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["extension_wanted_until"] == days(90).isoformat()
    assert "request_extension" not in response.json()["allowed_actions"]

    again = as_requester.post(f"{URL}{out_loan.pk}/request_extension/", body, format="json")
    assert again.status_code == 409 and "already asked for" in again.json()["detail"]

    as_curator = api_as(curator_a)
    assert "decline_extension" in as_curator.get(f"{URL}{out_loan.pk}/").json()["allowed_actions"]
    answer = as_curator.post(
        f"{URL}{out_loan.pk}/extend/", {"due_date": days(75).isoformat()}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["due_date"] == days(75).isoformat()
    assert answer.json()["extension_wanted_until"] is None


def test_the_api_answers_bad_asks_with_field_errors(api_as, out_loan, researcher, curator_a):
    response = api_as(researcher).post(
        f"{URL}{out_loan.pk}/request_extension/", {"due_date": "soon"}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"due_date"}
    response = api_as(researcher).post(
        f"{URL}{out_loan.pk}/request_extension/",
        {"due_date": days(30).isoformat(), "reason": ""},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"reason"}
    decline = api_as(curator_a).post(
        f"{URL}{out_loan.pk}/decline_extension/", {"reason": "No."}, format="json"
    )
    assert decline.status_code == 409


# -- the admin -----------------------------------------------------------------------------------


def test_curators_see_the_ask_in_their_queue_and_on_the_loan_and_answer_it(
    client, out_loan, make_loan, researcher, curator_a
):
    other = make_loan(status="on_loan", due_date=days(30), title="Not asking", specimens=[])
    ask(out_loan, researcher)
    client.force_login(curator_a)

    queue = client.get(admin_url("changelist"), {"extension_asked": "yes"})
    assert list(queue.context["cl"].result_list) == [out_loan]
    unasked = client.get(admin_url("changelist"), {"extension_asked": "no"})
    assert list(unasked.context["cl"].result_list) == [other]
    page = client.get(admin_url("change", out_loan.pk))
    offered = [entry["name"] for entry in page.context["workflow_actions"]]
    assert {"extend", "decline_extension"} <= set(offered)
    assert "The thesis takes longer." in page.text

    response = client.post(
        admin_url("action", out_loan.pk, "decline_extension"), {"reason": "Needed in March."}
    )
    assert response.status_code == 302
    out_loan.refresh_from_db()
    assert not out_loan.extension_pending
    again = client.get(admin_url("action", out_loan.pk, "decline_extension"))
    assert again.status_code == 302  # nothing left to decline: back to the loan with the reason


def test_the_admin_decline_form_needs_a_reason(client, out_loan, researcher, curator_a):
    ask(out_loan, researcher)
    client.force_login(curator_a)

    response = client.post(admin_url("action", out_loan.pk, "decline_extension"), {"reason": " "})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["This field is required."]
    out_loan.refresh_from_db()
    assert out_loan.extension_pending


# -- the researcher's page -----------------------------------------------------------------------


def test_the_researcher_asks_from_the_loan_page_and_sees_the_answer(
    client, out_loan, researcher, curator_a
):
    client.force_login(researcher)
    page = reverse("loans:action", args=[out_loan.pk, "request_extension"])

    response = client.post(page, {"due_date": days(90).isoformat(), "reason": "Thesis delayed."})

    assert response.status_code == 302
    timeline = client.get(out_loan.get_absolute_url())
    assert 'id="extension-asked"' in timeline.text and days(90).isoformat() in timeline.text
    offered = [form.transition.action for form in timeline.context["actions"]]
    assert "request_extension" not in offered  # one at a time

    perform(out_loan, "decline_extension", actor=curator_a, reason="Needed for an exhibition.")
    timeline = client.get(out_loan.get_absolute_url())
    assert 'id="extension-asked"' not in timeline.text
    assert "Needed for an exhibition." in timeline.text
    assert f"Extension until {days(90).isoformat()} declined" in timeline.text


def test_a_bad_ask_on_the_page_shows_the_form_again_with_its_errors(client, out_loan, researcher):
    client.force_login(researcher)

    response = client.post(
        reverse("loans:action", args=[out_loan.pk, "request_extension"]),
        {"due_date": days(10).isoformat(), "reason": "More time."},
    )

    assert response.status_code == 400
    [form] = [f for f in response.context["actions"] if f.transition.action == "request_extension"]
    assert form.errors["due_date"] == [
        f"The new due date must be after the current one ({days(30).isoformat()})."
    ]
    out_loan.refresh_from_db()
    assert not out_loan.extension_pending
