"""A kind's API list costs the same few queries for a page of 3 as for a page of 12: the
core's queryset prefetches what every kind shows (and the kind's ``annotate`` its own)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.models import Specimen
from elvis.workflow.comments import post_comment

from .conftest import api_url

pytestmark = pytest.mark.django_db

ROWS = 12


@pytest.fixture
def many(make, collection_a, researcher):
    specimens = Specimen.objects.bulk_create(
        Specimen(collection=collection_a, catalog_number=f"Q-{n:03}") for n in range(ROWS)
    )
    requests = [make(status="submitted", specimens=[specimens[n]]) for n in range(ROWS)]
    for obj in requests:
        post_comment(obj, author=researcher, body="A question.")
    return requests


def _queries(api_as, user, kind, page_size: int) -> int:
    client = api_as(type(user).objects.get(pk=user.pk))  # roles are cached per user object
    with CaptureQueriesContext(connection) as captured:
        response = client.get(api_url(kind), {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(captured)


@pytest.mark.parametrize("role", ["researcher", "curator_a", "superuser"])
def test_a_list_page_costs_a_constant_number_of_queries(request, api_as, many, kind, role):
    user = request.getfixturevalue(role)
    assert _queries(api_as, user, kind, 3) == _queries(api_as, user, kind, ROWS)
