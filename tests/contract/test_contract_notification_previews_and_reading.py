"""Notifications for every kind: a one-line preview (the inbox and the API show it), a receipt
to the requester on submission (in the app and by e-mail), and opening the request's page
reads what its viewer was told of it — in one statement, however much that is."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from elvis.workflow.service import perform
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db

REASON = "Please narrow the dates to May: the drawers are being moved in June."


def test_submitting_sends_the_requester_a_receipt_in_the_app_and_by_e_mail(
    kind, make, researcher, curator_a, institution_a, django_capture_on_commit_callbacks
):
    obj = make()
    with django_capture_on_commit_callbacks(execute=True):
        perform(obj, "submit", actor=researcher)

    receipt = Notification.objects.get(recipient=researcher)
    assert receipt.event == f"{kind.name}.submission_received"
    assert receipt.url == obj.get_absolute_url()
    assert receipt.preview == f"Submitted to {institution_a.name}: its curators will review it."
    [email] = [m for m in mail.outbox if m.to == [researcher.email]]
    assert obj.reference in email.subject and "received" in email.subject
    assert obj.reference in email.body and institution_a.name in email.body
    assert receipt.email_status == "sent"


def test_the_preview_is_the_curators_comment_else_what_was_done(kind, make, researcher, curator_a):
    obj = perform(make(status="submitted"), "start_review", actor=curator_a)
    perform(obj, "request_changes", actor=curator_a, comment=f"{REASON}\n\nThanks.")

    started, changes = Notification.objects.filter(recipient=researcher).order_by("id")
    name = curator_a.get_full_name()
    assert started.preview == f"{name}: Start review. The request is now Under review."
    assert changes.preview == f"{name}: {REASON} Thanks."
    assert "\n" not in changes.preview


def test_a_long_comment_is_cut_to_one_short_line(kind, make, researcher, curator_a):
    perform(make(status="submitted"), "request_changes", actor=curator_a, comment="word " * 200)
    note = Notification.objects.get(recipient=researcher)
    assert len(note.preview) == 200 and note.preview.endswith("…")


def test_the_inbox_and_the_api_show_the_preview(kind, make, client, api_as, researcher, curator_a):
    perform(make(status="submitted"), "request_changes", actor=curator_a, comment=REASON)
    note = Notification.objects.get(recipient=researcher)
    client.force_login(researcher)
    assert note.preview in client.get("/notifications/").content.decode()
    [listed] = api_as(researcher).get("/api/v1/notifications/").json()["results"]
    assert listed["preview"] == note.preview


def _told(people, obj, times: int = 1) -> None:
    for _ in range(times):
        notify(people, f"{obj.kind.name}.commented", target=obj, context={"request": obj})


def test_opening_the_request_reads_its_viewers_notifications_about_it_only(
    make, client, researcher, curator_a
):
    obj, other = make(status="submitted"), make(status="submitted")
    _told([researcher, curator_a], obj, times=2)
    _told([researcher], other)

    client.force_login(researcher)
    assert client.get(obj.get_absolute_url()).status_code == 200

    mine = Notification.objects.filter(recipient=researcher)
    assert not mine.filter(object_id=obj.pk, read_at__isnull=True).exists()
    assert mine.filter(object_id=other.pk, read_at__isnull=True).count() == 1
    assert Notification.objects.filter(recipient=curator_a, read_at__isnull=True).count() == 2
    assert 'class="badge"' in client.get(obj.get_absolute_url()).content.decode()  # other's


def test_reading_costs_the_same_queries_for_one_notification_or_many(make, client, researcher):
    one, many = make(status="submitted"), make(status="submitted")
    _told([researcher], one)
    _told([researcher], many, times=6)
    client.force_login(researcher)
    client.get(make(status="submitted").get_absolute_url())  # warm the session and caches

    counts = []
    for obj in (one, many):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(obj.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert not Notification.objects.filter(read_at__isnull=True).exists()
