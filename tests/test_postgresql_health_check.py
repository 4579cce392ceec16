"""A persistent PostgreSQL connection is checked before reuse without a round trip, and one the
server ended is still found unusable (``elvis.postgresql``): Django then replaces it before the
request uses it. Run by CI's PostgreSQL pass."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator

import pytest
from django.db import DataError, connection, connections
from django.db.backends.postgresql import base as django_postgresql

from elvis.postgresql.base import DatabaseWrapper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def own() -> Iterator:
    """A connection of the test's own (the test's is kept for the test), opened."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's backend; CI runs the PostgreSQL pass")
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@pytest.fixture
def round_trips(monkeypatch) -> list[int]:
    """Each ``SELECT 1`` check Django's backend makes, counted."""
    made: list[int] = []
    checked = django_postgresql.DatabaseWrapper.is_usable

    def counted(self) -> bool:
        made.append(1)
        return checked(self)

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", counted)
    return made


def _ended_by_the_server(wrapper) -> None:
    """The server ends the connection's session, as a restart or an administrator does; once
    its socket says so."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [wrapper.connection.info.backend_pid])
    deadline = time.monotonic() + 5
    while not _said(wrapper) and time.monotonic() < deadline:
        time.sleep(0.01)


def _said(wrapper) -> bool:
    return bool(select.select([wrapper.connection.fileno()], [], [], 0)[0])


def test_the_engine_is_elvis_own(own):
    assert own.settings_dict["ENGINE"] in ("elvis.postgresql", "tests.postgresql_backend")
    assert isinstance(own, DatabaseWrapper)


def test_an_idle_healthy_connection_is_usable_without_a_query(own, round_trips):
    with own.cursor() as cursor:
        cursor.execute("SELECT 1")

    assert own.is_usable() is True
    assert round_trips == []


def test_a_connection_the_server_ended_is_not_usable(own, round_trips):
    _ended_by_the_server(own)

    assert own.is_usable() is False
    assert round_trips == [1]  # what the server said was read by Django's own check


def test_django_replaces_the_ended_connection_before_the_next_request_uses_it(own):
    own.health_check_enabled, own.health_check_done = True, False
    ended = own.connection.info.backend_pid
    _ended_by_the_server(own)

    own.close_if_health_check_failed()
    with own.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()

    assert pid != ended


def test_a_connection_in_a_failed_transaction_is_not_usable(own, round_trips):
    own.set_autocommit(False)
    with pytest.raises(DataError), own.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")

    assert own.is_usable() is False
    assert round_trips == []
    own.rollback()
    own.set_autocommit(True)
