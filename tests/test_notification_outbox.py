"""The e-mail outbox: sent exactly once, kept when the broker is down, retried on SMTP errors."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail

from elvis.workflow.service import perform
from notifications.models import Notification
from notifications.tasks import MAX_ATTEMPTS, deliver_email, sweep_outbox

pytestmark = pytest.mark.django_db(transaction=True)


def broker_down():
    """Publishing fails as it does when Redis is unreachable (kombu's OperationalError)."""
    from kombu.exceptions import OperationalError

    return mock.patch(
        "notifications.tasks.deliver_email.apply_async",
        side_effect=OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    )


def test_a_transition_succeeds_while_the_broker_is_down_and_the_mail_waits(make_loan, curator_a):
    with broker_down():
        loan = perform(make_loan(status="submitted"), "approve", actor=curator_a)
        assert sweep_outbox() == 1  # still down: offered again, still waiting
    assert loan.status == "approved"
    note = Notification.objects.get()
    assert note.email_status == "pending" and note.email_enqueued_at is None
    assert mail.outbox == []


def test_once_the_broker_is_back_the_sweeper_sends_the_mail_exactly_once(make_loan, curator_a):
    with broker_down():
        perform(make_loan(status="submitted"), "approve", actor=curator_a)
    assert sweep_outbox() == 1
    assert sweep_outbox() == 0
    assert len(mail.outbox) == 1
    note = Notification.objects.get()
    assert note.email_status == "sent" and note.email_attempts == 1


def test_delivering_the_same_notification_twice_sends_one_mail(make_loan, curator_a):
    perform(make_loan(status="submitted"), "approve", actor=curator_a)
    note = Notification.objects.get()
    assert deliver_email.run(note.pk) == "already handled"
    assert len(mail.outbox) == 1


def test_a_failing_smtp_server_is_retried_then_recorded_as_failed(make_loan, curator_a, settings):
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")
    ):
        perform(make_loan(status="submitted"), "approve", actor=curator_a)
    note = Notification.objects.get()
    assert note.email_status == "failed"
    assert note.email_attempts == MAX_ATTEMPTS
    assert "SMTP down" in note.email_error
