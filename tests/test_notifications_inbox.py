"""The in-app inbox, on the web and in the API: one's own notifications only."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(researcher, outsider, make_loan):
    loan = make_loan()
    context = {"request": loan, "message": "Hello", "url": f"/loans/{loan.pk}/"}
    mine = notify([researcher], "loan.approved", target=loan, context=context)
    notify([outsider], "loan.approved", target=loan, context=context)
    return mine[0]


def test_the_inbox_page_lists_only_my_notifications_with_an_unread_badge(client, researcher, inbox):
    client.force_login(researcher)
    response = client.get("/notifications/")
    assert response.status_code == 200
    assert list(response.context["notifications"]) == [inbox]
    assert 'class="badge"' in response.content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_the_request(client, researcher, inbox):
    client.force_login(researcher)
    response = client.post(f"/notifications/{inbox.pk}/open/")
    assert response.status_code == 302 and response["Location"] == inbox.url
    inbox.refresh_from_db()
    assert inbox.read_at is not None


def test_someone_elses_notification_is_not_found(client, outsider, inbox):
    client.force_login(outsider)
    assert client.post(f"/notifications/{inbox.pk}/open/").status_code == 404
    inbox.refresh_from_db()
    assert inbox.read_at is None


def test_the_inbox_needs_a_login(client):
    assert client.get("/notifications/").status_code == 302


def test_the_api_lists_my_notifications_and_filters_unread(api_as, researcher, inbox):
    api = api_as(researcher)
    data = api.get("/api/v1/notifications/").json()
    assert [n["id"] for n in data["results"]] == [inbox.pk]
    assert data["results"][0]["read"] is False
    api.post(f"/api/v1/notifications/{inbox.pk}/read/")
    assert api.get("/api/v1/notifications/?unread=true").json()["results"] == []
    assert len(api.get("/api/v1/notifications/?unread=false").json()["results"]) == 1


def test_the_api_hides_other_peoples_notifications(api_as, outsider, inbox):
    api = api_as(outsider)
    assert api.get(f"/api/v1/notifications/{inbox.pk}/").status_code == 404
    assert api.post(f"/api/v1/notifications/{inbox.pk}/read/").status_code == 404


def test_read_all_marks_only_mine(api_as, researcher, inbox):
    response = api_as(researcher).post("/api/v1/notifications/read-all/")
    assert response.json() == {"marked_read": 1}
    assert Notification.objects.unread().count() == 1  # the outsider's stays unread


def test_garbage_filters_are_a_400(api_as, researcher, inbox):
    response = api_as(researcher).get("/api/v1/notifications/?unread=perhaps")
    assert response.status_code == 400 and "unread" in response.json()


def test_anonymous_callers_get_401(api):
    assert api.get("/api/v1/notifications/").status_code == 401


def test_reading_moves_updated_at_so_partners_can_sync(api_as, researcher, inbox):
    api = api_as(researcher)
    before = inbox.updated_at
    api.post(f"/api/v1/notifications/{inbox.pk}/read/")
    inbox.refresh_from_db()
    assert inbox.updated_at > before
    listed = api.get(
        "/api/v1/notifications/", {"updated_after": before.isoformat(), "ordering": "updated_at"}
    ).json()["results"]
    assert [n["id"] for n in listed] == [inbox.pk]
