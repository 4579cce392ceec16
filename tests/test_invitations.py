"""Inviting a colleague by e-mail: the coordinator sends an invitation in the admin, the mail
leaves through the outbox with a single-use link, the link signs the colleague up (or lets an
existing account accept) and makes the membership; revoked, expired and used links get a page
that says so. The whole flow works without JavaScript: plain forms and links."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import invitations
from accounts.models import Invitation
from collections_app.models import Membership
from elvis.workflow.kinds import get_kind
from notifications.models import Notification
from tests.conftest import PASSWORD
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "lichen-on-granite-42"
ADD_URL = reverse("admin:accounts_invitation_add")
LIST_URL = reverse("admin:accounts_invitation_changelist")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run


def invite(client, run_on_commit, institution, email="nova@museum.example.org", role="curator"):
    return run_on_commit(
        client.post, ADD_URL, {"email": email, "institution": institution.pk, "role": role}
    )


def link_in(message) -> str:
    match = re.search(r"http://127\.0\.0\.1:8000(/accounts/invitations/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def signup(client, link: str, **extra):
    data = {
        "full_name": "Nova Curator",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "preferred_language": "en",
        **extra,
    }
    return client.post(link, data)


def test_the_invitation_lifecycle_from_mail_to_membership(
    client, coordinator_a, institution_a, collection_a, researcher, run_on_commit
):
    client.force_login(coordinator_a)
    response = invite(client, run_on_commit, institution_a)
    assert response.status_code == 302, response.content

    invitation = Invitation.objects.get()
    assert invitation.invited_by == coordinator_a
    assert invitation.state == Invitation.State.PENDING
    (message,) = mail.outbox
    assert message.to == ["nova@museum.example.org"]
    assert "Cora Coordinator" in message.subject and institution_a.name in message.subject
    link = link_in(message)
    key = link.rstrip("/").rsplit("/", 1)[1]
    assert key not in str(Invitation.objects.values_list().get())  # only its hash is kept
    assert Notification.objects.get(event="membership.invited").email_status == "sent"
    assert LogEntry.objects.filter(user=coordinator_a, object_id=str(invitation.pk)).exists()

    client.logout()
    form_page = client.get(link)
    assert form_page.status_code == 200
    assert 'name="password1"' in form_page.content.decode()
    assert 'name="email"' not in form_page.content.decode()

    welcome = signup(client, link)

    assert welcome.status_code == 302
    assert welcome["Location"] == reverse("admin:index")
    nova = User.objects.get(email="nova@museum.example.org")
    assert client.session["_auth_user_id"] == str(nova.pk)
    membership = Membership.objects.get(user=nova)
    assert (membership.institution, membership.role) == (institution_a, "curator")
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.state) == (nova, Invitation.State.ACCEPTED)

    # The new curator sees the institution's queue (a submitted loan to it) in the admin.
    loan = make_request(
        get_kind("loan"),
        requester=researcher,
        institution=institution_a,
        collection=collection_a,
        status="submitted",
    )
    queue = client.get(reverse("admin:loans_loanrequest_changelist"))
    assert queue.status_code == 200 and loan.reference in queue.content.decode()

    # The link works once.
    client.logout()
    used = client.get(link)
    assert used.status_code == 410 and "already been used" in used.content.decode()
    assert signup(client, link).status_code == 410
    assert User.objects.count() == 3  # coordinator, researcher, nova


def test_a_revoked_invitation_link_says_so(client, coordinator_a, institution_a, run_on_commit):
    client.force_login(coordinator_a)
    invite(client, run_on_commit, institution_a)
    invitation = Invitation.objects.get()
    link = link_in(mail.outbox[0])

    response = client.post(
        LIST_URL, {"action": "revoke_invitations", "_selected_action": [invitation.pk]}
    )

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_by == coordinator_a and invitation.state == "revoked"
    client.logout()
    page = client.get(link)
    assert page.status_code == 410 and "withdrawn" in page.content.decode()
    assert signup(client, link).status_code == 410
    assert not User.objects.filter(email="nova@museum.example.org").exists()


def test_an_expired_invitation_link_says_so(client, coordinator_a, institution_a, run_on_commit):
    client.force_login(coordinator_a)
    invite(client, run_on_commit, institution_a)
    link = link_in(mail.outbox[0])
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client.logout()

    page = client.get(link)

    assert page.status_code == 410 and "expired" in page.content.decode()
    assert signup(client, link).status_code == 410
    assert not Membership.objects.filter(user__email="nova@museum.example.org").exists()


def test_resending_sends_a_new_link_and_the_old_one_stops_working(
    client, coordinator_a, institution_a, run_on_commit
):
    client.force_login(coordinator_a)
    invite(client, run_on_commit, institution_a)
    invitation = Invitation.objects.get()
    old_link = link_in(mail.outbox[0])
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    run_on_commit(
        client.post, LIST_URL, {"action": "resend_invitations", "_selected_action": [invitation.pk]}
    )

    assert len(mail.outbox) == 2
    new_link = link_in(mail.outbox[1])
    assert new_link != old_link
    client.logout()
    assert client.get(old_link).status_code == 404
    assert client.get(new_link).status_code == 200


def test_an_unknown_link_is_a_clear_not_found_page(client):
    page = client.get(reverse("invitation", args=["inv_not-a-real-key"]))

    assert page.status_code == 404
    assert "not valid" in page.content.decode()


def test_an_existing_account_logs_in_and_accepts(
    client, coordinator_a, institution_a, researcher, run_on_commit
):
    client.force_login(coordinator_a)
    invite(client, run_on_commit, institution_a, email="Researcher@Example.org")
    link = link_in(mail.outbox[0])
    assert Notification.objects.get(event="membership.invited").recipient == researcher
    client.logout()

    page = client.get(link)
    assert page.status_code == 200
    assert f"{reverse('login')}?next={link}" in page.content.decode()
    login = client.post(
        f"{reverse('login')}?next={link}",
        {"username": "researcher@example.org", "password": PASSWORD},
    )
    assert login["Location"] == link
    assert "Accept the invitation" in client.get(link).content.decode()

    accepted = client.post(link)

    assert accepted.status_code == 302
    assert Membership.objects.get(user=researcher).institution == institution_a
    assert client.post(link).status_code == 410


def test_accepting_takes_up_a_membership_that_had_ended(
    client, coordinator_a, curator_a, institution_a, run_on_commit
):
    Membership.objects.filter(user=curator_a).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=30)
    )
    client.force_login(coordinator_a)
    invite(client, run_on_commit, institution_a, email=curator_a.email)
    link = link_in(mail.outbox[0])
    client.force_login(curator_a)

    client.post(link)

    membership = Membership.objects.get(user=curator_a)
    assert membership.ends_on is None and not membership.has_ended


def test_the_coordinator_sees_only_their_institutions_invitations(
    client, coordinator_a, coordinator_b, institution_a, institution_b, run_on_commit
):
    client.force_login(coordinator_b)
    invite(client, run_on_commit, institution_b, email="other@b.example.org")
    other = Invitation.objects.get()
    client.force_login(coordinator_a)
    invite(client, run_on_commit, institution_a)
    client.get(LIST_URL)  # shows (and so clears) the "invitation sent" messages

    listing = client.get(LIST_URL + "?state=pending").content.decode()

    assert "nova@museum.example.org" in listing and "other@b.example.org" not in listing
    change = reverse("admin:accounts_invitation_change", args=[other.pk])
    assert client.get(change).status_code == 404
    client.post(LIST_URL, {"action": "revoke_invitations", "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.revoked_at is None


def test_a_coordinator_cannot_invite_to_another_institution(
    client, coordinator_a, institution_b, run_on_commit
):
    client.force_login(coordinator_a)

    response = invite(client, run_on_commit, institution_b)

    assert response.status_code == 200
    assert "institution" in response.context["adminform"].form.errors
    assert not Invitation.objects.exists() and mail.outbox == []


@pytest.mark.parametrize("who", ["curator_a", "researcher"])
def test_only_coordinators_invite(client, request, who, institution_a):
    client.force_login(request.getfixturevalue(who))

    assert client.get(ADD_URL).status_code in (302, 403)
    assert client.post(
        ADD_URL, {"email": "x@example.org", "institution": institution_a.pk, "role": "curator"}
    ).status_code in (302, 403)
    assert not Invitation.objects.exists()


def test_inviting_a_current_member_or_twice_is_refused(
    client, coordinator_a, curator_a, institution_a, run_on_commit
):
    client.force_login(coordinator_a)

    member = invite(client, run_on_commit, institution_a, email=curator_a.email)
    invite(client, run_on_commit, institution_a)
    twice = invite(client, run_on_commit, institution_a)

    assert "already holds this role" in member.content.decode()
    assert "already invited" in twice.content.decode()
    assert Invitation.objects.count() == 1


def test_signing_up_with_bad_input_shows_the_errors_and_keeps_the_link(
    client, coordinator_a, institution_a, run_on_commit
):
    client.force_login(coordinator_a)
    invite(client, run_on_commit, institution_a)
    link = link_in(mail.outbox[0])
    client.logout()

    response = signup(client, link, password2="something-else-entirely")

    assert response.status_code == 400
    assert not User.objects.filter(email="nova@museum.example.org").exists()
    assert Invitation.objects.get().state == Invitation.State.PENDING


def test_the_mail_is_in_the_inviters_language_for_a_newcomer(
    coordinator_a, institution_a, django_capture_on_commit_callbacks
):
    coordinator_a.preferred_language = "fr"
    coordinator_a.save()
    invitation = Invitation(email="nova@museum.example.org", institution=institution_a)
    invitation.role = "curator"

    with django_capture_on_commit_callbacks(execute=True):
        invitations.send_invitation(invitation, acting_user=coordinator_a)

    (message,) = mail.outbox
    assert "vous invite" in message.subject
