"""Creating or changing a request through the API builds its answer inside the saving
transaction, as transitions do: once the row has committed there is nothing left to read, so a
database connection lost at that moment cannot answer 500 for a request that was kept (which a
client without an Idempotency-Key would then send again, making a second one). Runs once per
registered kind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from .conftest import api_url

# Real commits: the test's own transaction would otherwise hide when the request's commits.
pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def queries_after_the_write(table: str) -> Iterator[list[tuple[str, bool]]]:
    """Each query from the first write to ``table`` on, with whether it ran in a transaction."""
    seen: list[tuple[str, bool]] = []

    def record(execute, sql, params, many, context):
        if seen or (sql.lstrip().upper().startswith(("INSERT", "UPDATE")) and table in sql):
            seen.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def _body(kind, support, collection) -> dict:
    return {
        "institution": collection.institution.pk,
        "collections": [collection.pk],
        "title": "Carabus revision",
        "purpose": "Morphology.",
        **support.fields(),
    }


def test_create_reads_nothing_after_its_commit(api_as, researcher, kind, support, collection_a):
    client = api_as(researcher)
    with queries_after_the_write(kind.model._meta.db_table) as seen:
        response = client.post(api_url(kind), _body(kind, support, collection_a), format="json")

    assert response.status_code == 201, response.json()
    assert seen, "the request's row was never written"
    outside = [sql for sql, in_transaction in seen if not in_transaction]
    assert outside == [], outside
    assert response.json()["id"] == kind.model.objects.get().pk


def test_update_reads_nothing_after_its_commit(api_as, researcher, kind, support, make):
    draft = make()
    client = api_as(researcher)
    with queries_after_the_write(kind.model._meta.db_table) as seen:
        response = client.patch(api_url(kind, draft), {"title": "Renamed"}, format="json")

    assert response.status_code == 200, response.json()
    assert seen, "the request's row was never written"
    outside = [sql for sql, in_transaction in seen if not in_transaction]
    assert outside == [], outside
    assert response.json()["title"] == "Renamed"
