"""The delivered set's page costs the same number of queries for 2 images as for 12."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("view", ["?sort=catalogue", "?sort=taxon&colour=red", "?view=mosaic"])
def test_the_query_count_does_not_grow_with_the_images(
    make_digitisation, make_specimen, make_item, make_capture, researcher, view
):
    request = make_digitisation()
    client = Client()
    client.force_login(researcher)
    url = f"/virtual_access/{request.pk}/images/{view}"

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            specimen = make_specimen(f"Q-{n}", scientific_name=f"Species {n}")
            make_capture(make_item(request, specimen), (200, 20 * (n % 10), 20))

    add(2, 0)
    few = _queries(client, url)
    add(10, 2)
    assert _queries(client, url) == few
