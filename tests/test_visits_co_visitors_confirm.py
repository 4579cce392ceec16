"""Co-visitors confirm by an e-mailed link: invited once when the visit is submitted, by a link
whose token is the only credential, on a page that shows the visit but no one's address."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from elvis.workflow.kinds import get_kind
from elvis.workflow.service import perform
from notifications.models import Notification
from tests.kinds_support import make_request
from visits.models import CoVisitor, VisitFacility

pytestmark = pytest.mark.django_db

INVITED = "visit.co_visitor_invited"


@pytest.fixture
def visit(researcher, institution_a, collection_a):
    """A complete draft to institution A with two co-visitors (the workspace holds four)."""
    draft = make_request(
        get_kind("visit"),
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        title="Carabus genitalia",
    )
    CoVisitor.objects.create(visit=draft, name="Ada Beetle", email="ada@uni.example.org")
    CoVisitor.objects.create(visit=draft, name="Bo Weevil", email="bo@uni.example.org")
    return draft


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run ``fn`` and then what it left for after commit (the e-mails' delivery)."""

    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run


def invitations() -> list:
    return [m for m in mail.outbox if "please confirm" in m.subject]


def link_of(member: CoVisitor) -> str:
    return f"/visits/confirm/{member.token}/"


def test_submitting_e_mails_each_co_visitor_their_own_link_once(visit, researcher, run_on_commit):
    run_on_commit(perform, visit, "submit", actor=researcher)

    ada, bo = visit.co_visitors.all()
    sent = {m.to[0]: m for m in invitations()}
    assert set(sent) == {"ada@uni.example.org", "bo@uni.example.org"}
    assert ada.invited_at is not None and bo.invited_at is not None
    assert ada.confirmed_at is None
    message = sent["ada@uni.example.org"]
    assert f"http://127.0.0.1:8000{link_of(ada)}" in message.body
    assert str(bo.token) not in message.body
    assert visit.reference in message.subject and "Rita Researcher" in message.subject
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="http://127.0.0.1:8000{link_of(ada)}"' in html
    guests = Notification.objects.filter(event=INVITED)
    assert guests.count() == 2 and not guests.filter(recipient__isnull=False).exists()


def test_a_co_visitor_with_an_account_is_invited_there_too(
    visit, researcher, make_user, run_on_commit
):
    ada = make_user("Ada@Uni.example.org", full_name="Ada Beetle")

    run_on_commit(perform, visit, "submit", actor=researcher)

    note = Notification.objects.get(event=INVITED, recipient=ada)
    assert note.url == link_of(visit.co_visitors.get(email="ada@uni.example.org"))
    assert {m.to[0] for m in invitations()} == {ada.email, "bo@uni.example.org"}


def test_a_resubmission_invites_only_the_co_visitors_added_since(
    visit, researcher, curator_a, run_on_commit
):
    run_on_commit(perform, visit, "submit", actor=researcher)
    run_on_commit(perform, visit, "request_changes", actor=curator_a, comment="Who else?")
    CoVisitor.objects.create(visit=visit, name="Cy Moth", email="cy@uni.example.org")
    mail.outbox.clear()

    run_on_commit(perform, visit, "submit", actor=researcher)

    assert [m.to for m in invitations()] == [["cy@uni.example.org"]]
    assert Notification.objects.filter(event=INVITED).count() == 3


def test_a_refused_submission_invites_no_one(visit, researcher, run_on_commit):
    VisitFacility.objects.filter(visit=visit).delete()

    with pytest.raises(ValidationError):
        run_on_commit(perform, visit, "submit", actor=researcher)

    assert invitations() == []
    assert not visit.co_visitors.filter(invited_at__isnull=False).exists()


@pytest.fixture
def invited(visit, researcher, run_on_commit) -> CoVisitor:
    run_on_commit(perform, visit, "submit", actor=researcher)
    return visit.co_visitors.get(email="ada@uni.example.org")


def test_the_link_confirms_without_logging_in_and_twice_changes_nothing(invited, client):
    page = client.get(link_of(invited))
    assert page.status_code == 200
    assert "I confirm I am part of this visit" in page.content.decode()
    assert "no-store" in page["Cache-Control"]

    first = client.post(link_of(invited))
    invited.refresh_from_db()
    when = invited.confirmed_at
    again = client.post(link_of(invited), follow=True)
    invited.refresh_from_db()

    assert first.status_code == 302 and first["Location"] == link_of(invited)
    assert when is not None and invited.confirmed_at == when
    assert again.status_code == 200
    assert "You confirmed that you are part of this visit" in again.content.decode()
    assert "I confirm I am part of this visit" not in again.content.decode()


def test_the_requesters_timeline_shows_who_confirmed(invited, researcher, client):
    client.post(link_of(invited))
    client.force_login(researcher)

    page = client.get(invited.visit.get_absolute_url()).content.decode()

    assert "Ada Beetle &lt;ada@uni.example.org&gt; — confirmed" in page
    assert "Bo Weevil &lt;bo@uni.example.org&gt; — not confirmed yet" in page


def test_an_unknown_token_is_not_found(invited, client):
    unknown = f"/visits/confirm/{uuid.uuid4()}/"

    assert client.get(unknown).status_code == 404
    assert client.post(unknown).status_code == 404
    assert client.get("/visits/confirm/not-a-uuid/").status_code == 404


def test_a_link_never_sent_is_not_found(visit, client):
    """Tokens exist from the start, but a co-visitor not invited yet was never given theirs."""
    member = visit.co_visitors.first()

    assert client.get(link_of(member)).status_code == 404


def test_a_co_visitor_removed_from_the_team_loses_their_link_the_others_keep_theirs(
    invited, researcher, curator_a, api_as, client, run_on_commit
):
    visit = invited.visit
    run_on_commit(perform, visit, "request_changes", actor=curator_a)
    bo = visit.co_visitors.get(email="bo@uni.example.org")

    answer = api_as(researcher).patch(
        f"/api/v1/visit-requests/{visit.pk}/",
        {"co_visitors": [{"name": "Ada B.", "email": "ADA@uni.example.org"}]},
        format="json",
    )

    assert answer.status_code == 200, answer.json()
    kept = visit.co_visitors.get()
    assert (kept.pk, kept.token, kept.name) == (invited.pk, invited.token, "Ada B.")
    assert kept.invited_at == invited.invited_at
    assert client.get(link_of(bo)).status_code == 404
    assert client.get(link_of(kept)).status_code == 200


def test_a_changed_address_in_the_form_is_a_new_invitee(invited):
    from visits.forms import CoVisitorForm

    old_token = invited.token
    form = CoVisitorForm(
        {"name": "Ada Beetle", "email": "ada.beetle@other.example.org", "orcid": ""},
        instance=invited,
    )
    assert form.is_valid(), form.errors
    member = form.save()

    member.refresh_from_db()
    assert member.token != old_token
    assert member.invited_at is None and member.confirmed_at is None


@pytest.mark.parametrize("action", ["withdraw", "reject"])
def test_a_visit_that_is_off_cannot_be_confirmed(
    invited, researcher, curator_a, client, run_on_commit, action
):
    actor = researcher if action == "withdraw" else curator_a
    run_on_commit(perform, invited.visit, action, actor=actor)

    page = client.get(link_of(invited))
    refused = client.post(link_of(invited))

    assert page.status_code == 200
    assert "This visit is off" in page.content.decode()
    assert "I confirm I am part of this visit" not in page.content.decode()
    assert refused.status_code == 400
    invited.refresh_from_db()
    assert invited.confirmed_at is None


def test_the_page_shows_the_visit_but_no_ones_e_mail_address(invited, client):
    visit = invited.visit

    page = client.get(link_of(invited)).content.decode()

    assert visit.reference in page and visit.title in page
    assert visit.institution.name in page and "Rita Researcher" in page
    assert visit.proposed_start.isoformat() in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "@" not in main
    assert "Bo Weevil" not in page
    assert visit.requester.email not in page
