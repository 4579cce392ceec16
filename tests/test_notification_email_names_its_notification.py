"""Each e-mail names the notification it sends: a message found in a mailbox (or the fault
benchmark's SMTP sink) is traced back to exactly one row, however often it was sent."""

from __future__ import annotations

import pytest
from django.core import mail

from elvis.workflow.service import perform
from notifications.models import Notification
from notifications.tasks import NOTIFICATION_HEADER

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_mail_carries_the_id_of_its_notification(make_loan, curator_a):
    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    note = Notification.objects.get()
    [message] = mail.outbox
    assert message.extra_headers[NOTIFICATION_HEADER] == str(note.pk)
    assert message.message()[NOTIFICATION_HEADER] == str(note.pk)
