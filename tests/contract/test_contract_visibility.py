"""Who sees a request, for every kind: the requester their own, the institution's side the
requests submitted to it, nobody else — lists included, and an invisible request answers
exactly like a missing one (404). A draft never submitted is the requester's own everywhere:
lists, detail, admin, pages, notifications and webhooks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elvis.workflow.comments import post_comment
from elvis.workflow.service import perform
from notifications.models import Notification

from .conftest import api_url

pytestmark = pytest.mark.django_db

SEES_SUBMITTED = ["researcher", "curator_a", "coordinator_a", "partner_a", "superuser"]
NEVER_SEES = ["coordinator_b", "outsider"]


def _listed(client, kind) -> set[int]:
    response = client.get(api_url(kind))
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("role", SEES_SUBMITTED + NEVER_SEES)
def test_a_submitted_request_is_seen_by_the_requester_and_the_institution_only(
    request, api_as, make, kind, role
):
    obj = make(status="submitted")
    client = api_as(request.getfixturevalue(role))
    sees = role in SEES_SUBMITTED

    assert (obj.pk in _listed(client, kind)) is sees
    detail = client.get(api_url(kind, obj))
    assert detail.status_code == (200 if sees else 404)
    for sub in ("comments/", "attachments/"):
        assert client.get(api_url(kind, obj) + sub).status_code == (200 if sees else 404)


@pytest.mark.parametrize("role", ["curator_a", "coordinator_a", "partner_a", "superuser"])
def test_a_draft_never_submitted_is_the_requesters_own(request, api_as, make, kind, role):
    draft = make()
    client = api_as(request.getfixturevalue(role))

    assert draft.pk not in _listed(client, kind)
    assert client.get(api_url(kind, draft)).status_code == 404
    assert client.post(api_url(kind, draft) + "comments/", {"body": "Hi"}).status_code == 404


def test_a_draft_is_seen_by_its_requester(api_as, researcher, make, kind):
    draft = make()
    assert draft.pk in _listed(api_as(researcher), kind)


def test_a_draft_becomes_visible_at_its_first_submission_and_stays_so(
    api_as, make, kind, researcher, curator_a
):
    draft = make()
    perform(draft, "submit", actor=researcher)
    perform(draft, "request_changes", actor=curator_a, comment="More detail, please.")

    assert api_as(curator_a).get(api_url(kind, draft)).status_code == 200


def test_nobody_hears_of_a_draft_withdrawn_or_written_on_before_submission(make, kind, researcher):
    draft = make()
    post_comment(draft, author=researcher, body="Note to self.")
    perform(draft, "withdraw", actor=researcher)

    assert not Notification.objects.exists()


def test_the_admin_queue_and_change_page_hide_drafts(client, make, kind, curator_a):
    draft, sent = make(), make(status="submitted", title="Sent")
    client.force_login(curator_a)
    opts = kind.model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    assert changelist.status_code == 200
    assert sent.reference in changelist.content.decode()
    assert draft.reference not in changelist.content.decode()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[draft.pk])
    assert client.get(change).status_code == 404


@pytest.mark.parametrize("role", ["curator_a", "coordinator_b", "outsider"])
def test_the_timeline_page_of_a_draft_is_not_found_for_others(request, client, make, kind, role):
    draft = make()
    client.force_login(request.getfixturevalue(role))
    assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("role", NEVER_SEES)
def test_outsiders_find_no_page_or_admin_page_of_a_submitted_request(
    request, client, make, kind, role
):
    obj = make(status="submitted")
    client.force_login(request.getfixturevalue(role))
    opts = kind.model._meta
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    assert client.get(obj.get_absolute_url()).status_code == 404
    assert client.get(change).status_code in (404, 302)  # outsiders without admin: to login
