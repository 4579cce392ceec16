"""Django's PostgreSQL backend, with a health check that costs no round trip.

Persistent connections (``CONN_MAX_AGE``) are checked before a request uses one
(``CONN_HEALTH_CHECKS``), so that a connection the server dropped — a restart, a failover, an
idle timeout, a proxy's reset — is replaced instead of failing that request. Django checks with
a ``SELECT 1``: one more round trip on every request, which cost about a fifth of a specimen
list request's CPU, the web's and the database's together (bench/README.md).

A server that ends a connection says so on its socket: a terminated backend sends its error and
closes, a reset or a killed server closes it. Between requests an idle connection has nothing
to read, so a socket with something to read is one the server has spoken on, and only then is
the round trip made: Django's own ``SELECT 1`` reads what was said and answers. A connection
that is closed, broken or left in a failed transaction is not usable, as before.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

UNUSABLE = frozenset({TransactionStatus.INERROR, TransactionStatus.UNKNOWN})


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status in UNUSABLE:
            return False
        if _readable(connection.fileno()):
            return super().is_usable()
        return True


def _readable(fileno: int) -> bool:
    """Whether the socket has something to read (or its end) now, without waiting."""
    poll = select.poll()
    poll.register(fileno, select.POLLIN | select.POLLPRI)
    return bool(poll.poll(0))
