"""Every transition notifies the people it concerns: in the app and by e-mail, after commit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from elvis.workflow.service import perform
from notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_submission_notifies_the_institutions_curators_and_confirms_it_to_the_requester(
    make_loan, researcher, curator_a, coordinator_a, coordinator_b
):
    perform(make_loan(), "submit", actor=researcher)
    submitted = Notification.objects.filter(event="loan.submitted")
    recipients = set(submitted.values_list("recipient__email", flat=True))
    assert recipients == {curator_a.email, coordinator_a.email}
    confirmation = Notification.objects.exclude(event="loan.submitted").get()
    assert (confirmation.recipient, confirmation.event) == (researcher, "loan.submission_received")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([*recipients, researcher.email])


def test_an_approval_notifies_the_requester_with_text_and_html_mail(
    make_loan, researcher, curator_a
):
    loan = make_loan(status="submitted")
    perform(loan, "approve", actor=curator_a, comment="Enjoy the beetles.")
    note = Notification.objects.get()
    assert (note.recipient, note.event, note.email_status) == (researcher, "loan.approved", "sent")
    assert note.url == f"/loans/{loan.pk}/"
    [message] = mail.outbox
    assert message.to == [researcher.email]
    assert message.subject == f"[ELViS] {loan.reference} approved — {loan.title}"
    assert "Enjoy the beetles." in message.body and "Approved" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f'href="http://127.0.0.1:8000/loans/{loan.pk}/"' in html


def test_a_rolled_back_transition_notifies_no_one(make_loan, researcher):
    loan = make_loan()
    with pytest.raises(RuntimeError), transaction.atomic():
        perform(loan, "submit", actor=researcher)
        raise RuntimeError("something later in the same transaction failed")
    assert not Notification.objects.exists()
    assert mail.outbox == []
    loan.refresh_from_db()
    assert loan.status == "draft"


def test_e_mail_leaves_only_after_the_transaction_commits(make_loan, curator_a):
    loan = make_loan(status="submitted")
    with transaction.atomic():
        perform(loan, "approve", actor=curator_a)
        assert mail.outbox == []
    assert len(mail.outbox) == 1


def test_a_curator_s_link_opens_the_admin_page_and_a_curator_s_own_request_the_site_page(
    make_loan, curator_a, coordinator_a
):
    """Staff work in the admin; a curator asking another institution for a loan follows it on
    the site, like any researcher (the admin would not show another institution's request)."""
    loan = make_loan(status="draft")
    perform(loan, "submit", actor=loan.requester)
    admin_page = f"/admin/loans/loanrequest/{loan.pk}/change/"
    assert {n.recipient: n.url for n in Notification.objects.filter(event="loan.submitted")} == {
        curator_a: admin_page,
        coordinator_a: admin_page,
    }
    html = next(m for m in mail.outbox if m.to == [curator_a.email]).alternatives[0][0]
    assert f'href="http://127.0.0.1:8000{admin_page}"' in html

    own = make_loan(status="draft", requester=curator_a)
    perform(own, "submit", actor=curator_a)
    receipt = Notification.objects.get(event="loan.submission_received", object_id=own.pk)
    assert receipt.url == own.get_absolute_url()


def test_a_curator_opening_the_admin_page_has_read_its_notifications(client, make_loan, curator_a):
    loan = make_loan(status="draft")
    perform(loan, "submit", actor=loan.requester)
    note = Notification.objects.get(event="loan.submitted", recipient=curator_a)
    assert note.read_at is None
    client.force_login(curator_a)
    assert client.get(note.url).status_code == 200
    note.refresh_from_db()
    assert note.read_at is not None
