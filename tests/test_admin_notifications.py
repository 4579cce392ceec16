"""The notification outbox in the admin: site staff only, read-only, failed e-mails re-sent."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from notifications.models import Notification

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def failed_email(researcher) -> Notification:
    return Notification.objects.create(
        recipient=researcher,
        event="loan.approved",
        subject="Your loan request was approved",
        body="LOAN-2026-000001 was approved.",
        reference="LOAN-2026-000001",
        email_status=Notification.EmailStatus.FAILED,
        email_attempts=8,
        email_error="SMTPServerDisconnected: gone",
    )


def notification_url(view: str = "changelist") -> str:
    return reverse(f"admin:notifications_notification_{view}")


@pytest.mark.parametrize("role", ["curator_a", "coordinator_a"])
def test_institution_staff_do_not_see_the_notification_outbox(client, request, role):
    client.force_login(request.getfixturevalue(role))

    assert client.get(notification_url()).status_code == 403


def test_site_staff_resend_a_failed_email_and_leave_sent_ones_alone(
    client, site_staff, researcher, failed_email, django_capture_on_commit_callbacks
):
    sent = Notification.objects.create(
        recipient=researcher,
        event="loan.dispatched",
        subject="Your loan was dispatched",
        body="On its way.",
        email_status=Notification.EmailStatus.SENT,
        email_attempts=1,
    )
    client.force_login(site_staff)
    listing = client.get(notification_url())
    assert set(listing.context["cl"].result_list) == {failed_email, sent}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            notification_url(),
            {"action": "resend_email", "_selected_action": [failed_email.pk, sent.pk]},
        )

    assert response.status_code == 302
    failed_email.refresh_from_db()
    sent.refresh_from_db()
    assert (failed_email.email_status, failed_email.email_attempts) == ("sent", 1)
    assert sent.email_status == "sent" and sent.email_attempts == 1
    [message] = mail.outbox
    assert (message.to, message.subject) == ([researcher.email], failed_email.subject)
    assert messages_of(response) == [
        "1 e-mail queued again.",
        "1 notification had not failed and was left alone.",
    ]


def test_notifications_are_read_only_even_for_site_staff(client, site_staff, failed_email):
    client.force_login(site_staff)

    assert client.get(notification_url("add")).status_code == 403
    change = reverse("admin:notifications_notification_change", args=[failed_email.pk])
    assert client.post(change, {"subject": "Edited"}).status_code == 403
    failed_email.refresh_from_db()
    assert failed_email.subject == "Your loan request was approved"
