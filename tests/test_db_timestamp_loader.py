"""PostgreSQL timestamps are read by psycopg's own loader on a UTC session, with Django's values.

``elvis.db_loaders`` swaps Django's Python ``timestamptz`` loader for psycopg's default one
where the two agree (a UTC session read into ``datetime.UTC``); these pin that they agree,
that the swap happens on every new connection, and that a connection in another time zone
keeps Django's loader and its values.
"""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.db import connection, connections
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.pq import Format

from collections_app.models import Institution
from elvis.db_loaders import UtcTimestampLoader

pytestmark = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL's timestamp loaders"
)

PLUS_TWO = datetime.timezone(datetime.timedelta(hours=2))
OID = psycopg.postgres.types["timestamptz"].oid


def _loader(wrapper) -> type:
    return wrapper.connection.adapters.get_loader(OID, Format.TEXT)


@pytest.mark.django_db
def test_a_new_connection_reads_timestamps_with_psycopgs_loader():
    connection.ensure_connection()
    assert _loader(connection) is UtcTimestampLoader
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        # Django compares its time zone with the loader's on every cursor: no copy per cursor.
        assert cursor.cursor.adapters.get_loader(OID, Format.TEXT) is UtcTimestampLoader


@pytest.mark.django_db
def test_timestamps_read_back_as_written_in_utc():
    written = [
        datetime.datetime(2026, 11, 27, 3, 32, 27, 437778, tzinfo=datetime.UTC),
        datetime.datetime(1890, 1, 1, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
        datetime.datetime(
            2026, 3, 29, 1, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
        ),
    ]
    for number, moment in enumerate(written):
        Institution.objects.create(code=f"TZ{number}", name="Time", country="GB")
        Institution.objects.filter(code=f"TZ{number}").update(updated_at=moment)
    read = list(
        Institution.objects.filter(code__startswith="TZ")
        .order_by("code")
        .values_list("updated_at", flat=True)
    )
    assert read == written
    assert all(value.tzinfo is datetime.UTC for value in read)
    # The very values Django's own loader gives, tzinfo object included.
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [written[0]])
        assert cursor.fetchone()[0].tzinfo is datetime.UTC


@pytest.mark.django_db(transaction=True)
def test_a_connection_in_another_time_zone_keeps_djangos_loader():
    wrapper = connections.create_connection("default")
    wrapper.settings_dict["TIME_ZONE"] = "Europe/Paris"
    try:
        wrapper.ensure_connection()
        assert issubclass(_loader(wrapper), BaseTzLoader)
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT '2026-07-01 12:00:00+00'::timestamptz")
            value = cursor.fetchone()[0]
        assert value == datetime.datetime(2026, 7, 1, 12, tzinfo=datetime.UTC)
        assert value.utcoffset() == datetime.timedelta(hours=2)
    finally:
        wrapper.close()
