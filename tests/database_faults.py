"""Faults of the test process's own database connection, at the moment of a commit.

On PostgreSQL the connection goes through a ``FaultProxy`` the test controls, and the fault is a
real reset of the TCP connection (never of the server, which others share). SQLite has no
connection to reset: every query fails instead until Django closes the connection. Either way,
what the code under test sees is what a reset gives it: the connection is dead.

A fault is armed for a coming commit of a transaction (``Atomic`` calling ``commit``; a
request with an ``Idempotency-Key`` commits its reservation first, then its work):

- ``after_commit``: the commit goes through and says so, then the connection is lost;
- ``reply_lost``: the commit goes through, then the connection is lost before its reply
  arrives: the caller gets an ``OperationalError`` for a transaction that committed;
- ``before_commit``: the connection is lost before the commit: the same error, and the
  server rolls the transaction back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, connections

from .fault_proxy import FaultProxy

FAULTS = ("after_commit", "reply_lost", "before_commit")


class DatabaseLink:
    """The test process's connection to its database, with a fault to arm."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, proxy: FaultProxy | None) -> None:
        self.proxy = proxy
        self.fault: str | None = None
        self.commits_to_pass = 0
        self.faults_done = 0
        self.severed = False
        wrapper = type(connections["default"])
        real_commit, real_create_cursor, real_close = (
            wrapper.commit,
            wrapper.create_cursor,
            wrapper.close,
        )
        link = self

        def commit(db) -> None:
            if link.fault is None or link.commits_to_pass:
                link.commits_to_pass = max(link.commits_to_pass - 1, 0)
                return real_commit(db)
            fault, link.fault = link.fault, None
            link.faults_done += 1
            if fault != "before_commit":
                real_commit(db)
            elif proxy is None:
                db.connection.rollback()  # SQLite: what the server does with a lost session
            link.sever(db)
            if fault != "after_commit":
                raise OperationalError("server closed the connection unexpectedly")
            return None

        def create_cursor(db, name=None):
            if link.severed:
                raise OperationalError("server closed the connection unexpectedly")
            return real_create_cursor(db, name)

        def close(db) -> None:
            link.severed = False
            real_close(db)

        monkeypatch.setattr(wrapper, "commit", commit)
        if proxy is None:
            monkeypatch.setattr(wrapper, "create_cursor", create_cursor)
            monkeypatch.setattr(wrapper, "close", close)

    def arm(self, fault: str, *, at_commit: int = 1) -> None:
        """``fault`` at the ``at_commit``-th commit from now."""
        assert fault in FAULTS
        self.fault, self.commits_to_pass = fault, at_commit - 1

    def sever(self, db) -> None:
        if self.proxy is not None:
            self.proxy.reset()
        else:
            self.severed = True


@contextmanager
def _through_a_proxy() -> Iterator[FaultProxy | None]:
    """On PostgreSQL, the default connection reconnects through a proxy for the test."""
    if connection.vendor != "postgresql":
        yield None
        return
    settings = connection.settings_dict
    saved = settings["HOST"], settings["PORT"]
    with FaultProxy(saved[0] or "127.0.0.1", int(saved[1] or 5432)) as proxy:
        connection.close()
        settings["HOST"], settings["PORT"] = "127.0.0.1", proxy.port
        try:
            yield proxy
        finally:
            connection.close()
            settings["HOST"], settings["PORT"] = saved


@pytest.fixture
def database_link(transactional_db, monkeypatch) -> Iterator[DatabaseLink]:
    """The connection, in transactional tests only: a test's own transaction has no commit."""
    with _through_a_proxy() as proxy:
        yield DatabaseLink(monkeypatch, proxy)
        connection.close()  # a dead connection is not left to the next test
