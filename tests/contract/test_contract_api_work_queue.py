"""``GET /api/v1/queue/``: the numbers of the admin's home page for partner systems and API
staff, every kind, scoped to the caller's institutions; a researcher has no queue (403)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from elvis.workflow.table import CHANGES_REQUESTED, SUBMITTED, UNDER_REVIEW
from tests.kinds_support import make_request

pytestmark = pytest.mark.django_db


def kind_entry(body: dict, kind) -> dict:
    (entry,) = [entry for entry in body["kinds"] if entry["kind"] == kind.name]
    return entry


def counts(entry: dict) -> dict[str, int]:
    return {row["status"]: row["count"] for row in entry["waiting"]}


@pytest.fixture
def work(kind, make, researcher, institution_b, collection_b):
    make(SUBMITTED)
    make(UNDER_REVIEW)
    make(CHANGES_REQUESTED)
    make_request(
        kind, requester=researcher, institution=institution_b, collection=collection_b,
        status=SUBMITTED,
    )  # fmt: skip


def test_a_partner_system_gets_its_institutions_queue(api_as, kind, work, partner_a):
    response = api_as(partner_a).get("/api/v1/queue/")
    assert response.status_code == 200
    entry = kind_entry(response.json(), kind)
    assert counts(entry)[SUBMITTED] == 1
    assert counts(entry)[UNDER_REVIEW] == 1
    assert CHANGES_REQUESTED not in counts(entry)
    assert response.json()["due_soon_days"] == 7
    has_deadline = kind.deadline is not None
    assert (entry["overdue"] is not None) == has_deadline


def test_site_staff_get_every_institution(api_as, kind, work, superuser):
    entry = kind_entry(api_as(superuser).get("/api/v1/queue/").json(), kind)
    assert counts(entry)[SUBMITTED] == 2


@pytest.mark.parametrize("role", ["researcher", "outsider"])
def test_someone_who_handles_no_requests_has_no_queue(request, api_as, role):
    assert api_as(request.getfixturevalue(role)).get("/api/v1/queue/").status_code == 403


def test_an_anonymous_caller_is_told_to_authenticate(api):
    assert api.get("/api/v1/queue/").status_code == 401


def test_the_queue_costs_the_same_queries_for_few_and_many(api_as, kind, make, curator_a):
    def queries() -> int:
        client = api_as(type(curator_a).objects.get(pk=curator_a.pk))
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/queue/").status_code == 200
        return len(captured)

    make(SUBMITTED)
    few = queries()
    for status in (SUBMITTED, UNDER_REVIEW, SUBMITTED):
        make(status)
    assert queries() == few
