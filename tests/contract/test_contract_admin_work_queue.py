"""The admin home page leads with the signed-in user's work queue, every kind: how many of
their institution's requests wait on them per status (each linking to the filtered list),
loans overdue and due back within a week — never another institution's work — in a fixed
number of queries whatever the data."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from elvis.workflow.table import CHANGES_REQUESTED, SUBMITTED, UNDER_REVIEW
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db


def queue_html(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="work-queue"' in page
    assert 'id="content-main"' in page and "app-" in page  # the app list is still there
    return page


def kind_box(page: str, kind) -> str:
    return page.split(f'id="queue-{kind.name}"', 1)[1].split('<div class="module"', 1)[0]


def count_of(box: str, status: str) -> int:
    found = re.search(rf'data-status="{status}">[^<]*</a></th><td class="queue-count">(\d+)', box)
    assert found, f"no row for {status}"
    return int(found.group(1))


def test_the_queue_counts_what_waits_on_the_institution_per_status(
    client, kind, make, curator_a, institution_b, collection_b, researcher
):
    make(SUBMITTED)
    make(SUBMITTED)
    make(UNDER_REVIEW)
    make(CHANGES_REQUESTED)  # waits on the requester: not in the queue
    make("draft")  # never sent: not the institution's yet
    make_request(  # another institution's work
        kind, requester=researcher, institution=institution_b, collection=collection_b,
        status=SUBMITTED,
    )  # fmt: skip

    box = kind_box(queue_html(client, curator_a), kind)

    assert count_of(box, SUBMITTED) == 2
    assert count_of(box, UNDER_REVIEW) == 1
    assert f'data-status="{CHANGES_REQUESTED}"' not in box
    changelist = reverse(
        f"admin:{kind.model._meta.app_label}_{kind.model._meta.model_name}_changelist"
    )
    assert f'href="{changelist}?status__exact={SUBMITTED}"' in box


def test_the_statuses_waiting_on_the_institution_come_from_the_table(kind):
    workflow = kind.workflow
    assert workflow.waits_on_institution(SUBMITTED)
    assert workflow.waits_on_institution(UNDER_REVIEW)
    for status in workflow.open_statuses:
        # A status waits on one side or the other, never both (drafts wait on the requester).
        assert not (workflow.waits_on_institution(status) and workflow.waits_on_requester(status))


@pytest.mark.parametrize("role", ["coordinator_a", "curator_a"])
def test_institution_staff_see_only_their_institution(
    request, client, kind, make, role, researcher, institution_b, collection_b
):
    make(SUBMITTED)
    make_request(
        kind, requester=researcher, institution=institution_b, collection=collection_b,
        status=SUBMITTED,
    )  # fmt: skip
    page = queue_html(client, request.getfixturevalue(role))
    assert "Requests waiting on INSTA." in page
    assert count_of(kind_box(page, kind), SUBMITTED) == 1


def test_a_superuser_sees_every_institution(
    client, kind, make, superuser, researcher, institution_b, collection_b
):
    make(SUBMITTED)
    make_request(
        kind, requester=researcher, institution=institution_b, collection=collection_b,
        status=SUBMITTED,
    )  # fmt: skip
    page = queue_html(client, superuser)
    assert count_of(kind_box(page, kind), SUBMITTED) == 2


def test_the_queue_costs_the_same_queries_for_few_and_many(
    client, kind, make, curator_a, researcher, institution_b, collection_b
):
    def queries() -> int:
        client.force_login(curator_a)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("admin:index")).status_code == 200
        return len(captured)

    make(SUBMITTED)
    few = queries()
    for status in (SUBMITTED, UNDER_REVIEW, UNDER_REVIEW, SUBMITTED, SUBMITTED):
        make(status)
    assert queries() == few
