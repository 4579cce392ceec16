"""Timestamps read by psycopg's compiled loader wherever Django's own would only relabel them.

On every PostgreSQL connection Django registers a ``timestamptz`` loader of its own, a Python
subclass of psycopg's pure-Python loader, only so that the datetimes read carry the
connection's ``tzinfo`` object (its ``timezone`` attribute, which Django also compares on every
cursor). Its parsing is a regular expression in Python: about 5 µs a value, half a millisecond
for a page of 50 specimens with two timestamps each, several times what the rest of the row
costs (bench/README.md). When the session's time zone is UTC and Django's is ``datetime.UTC``
(``USE_TZ`` and no ``TIME_ZONE`` for the database: every ELViS process), psycopg's default
loader, compiled when psycopg-binary or the C build is installed, gives the very same values,
that very ``tzinfo`` included; ``UtcTimestampLoader`` hands each value to it. On any other
connection Django's loader stays.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid
#: psycopg's own loader (not Django's subclass), from the default adapters every map extends.
_PSYCOPG_LOADER = cast("type[Loader]", psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT))


class UtcTimestampLoader(Loader):
    """psycopg's own ``timestamptz`` loader, with the ``timezone`` Django looks for."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context: AdaptContext | None = None):
        super().__init__(oid, context)
        # An attribute over the method below: psycopg calls the compiled loader's ``load``
        # directly, with no Python frame of ours per value.
        self.load = _PSYCOPG_LOADER(oid, context).load  # type: ignore[method-assign]

    def load(self, data: Buffer) -> datetime.datetime:  # the abstract method; never reached
        return self.load(data)


def use_psycopg_timestamp_loader(
    sender: type[BaseDatabaseWrapper], connection: BaseDatabaseWrapper, **_: Any
) -> None:
    """``connection_created`` receiver: ``UtcTimestampLoader`` on a UTC session."""
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    raw = connection.connection
    if raw.info.parameter_status("TimeZone") != "UTC":
        return
    raw.adapters.register_loader(TIMESTAMPTZ_OID, UtcTimestampLoader)
