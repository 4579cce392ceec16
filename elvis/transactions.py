"""Transactions and records that survive a broken database connection.

A connection that drops while its ``COMMIT`` is on the wire leaves the outcome unknown to the
process: the server may have committed. Answering that with a 500 hides a change that
happened, so ``atomic_with_outcome`` asks a new connection which it was. And once an e-mail
or a webhook has gone out, the row that says so must be written even if the first connection
to try is broken, or the work is offered again and sent twice: ``record_retrying``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, connection, transaction
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a side effect's record is retried before the task gives up (its claim is then
#: reclaimed after the task's hard time limit, and the work offered again): well within the
#: soft time limit of the outbox tasks (``OUTBOX_TASK_SOFT_TIME_LIMIT``).
RECORD_RETRY_SECONDS = 15
RECORD_ATTEMPTS = 6


def atomic_with_outcome(work: Callable[[], T], *, committed: Callable[[T], bool]) -> T:
    """``work()`` in a transaction, and its result — also when the connection breaks while
    committing, if ``committed(result)``, asked on a new connection, says it went through.

    ``committed`` runs in a transaction of its own; it should lock a row the work changed
    (``select_for_update``), so that it waits for a commit still in flight rather than
    guessing. If the work did not commit, or nobody can tell, the error is raised: nothing is
    hidden. Inside an outer transaction (a savepoint here) the outer one commits and decides.
    """
    if transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return work()
    reached_commit = False
    try:
        with transaction.atomic():
            result = work()
            reached_commit = True
    except DatabaseError as lost:
        if not reached_commit:
            raise
        try:
            confirmed = on_new_connection(lambda: committed(result))
        except DatabaseError:
            logger.exception("The database could not say whether a transaction committed.")
            confirmed = False
        if not confirmed:
            raise lost from None
        logger.warning("The database connection broke while committing; the commit went through.")
    return result


def on_new_connection(work: Callable[[], T]) -> T:
    """``work()`` in a transaction on a new connection, tried once more on another if that
    one fails too (the error of the second is raised)."""
    connection.close()  # the broken one
    try:
        with transaction.atomic():
            return work()
    except DatabaseError as exc:
        logger.warning("A new database connection failed too, trying another: %s", exc)
    connection.close()
    with transaction.atomic():
        return work()


def _lost_connection(exc: BaseException) -> bool:
    """Worth another try: a database error outside a transaction (inside one, the transaction
    is lost with the connection, and the caller's caller decides)."""
    return isinstance(exc, DatabaseError) and not connection.in_atomic_block


def _close_connection(_state: object) -> None:
    connection.close()


def record_retrying(write: Callable[[], T]) -> T:
    """``write()`` in a transaction, retried on a new connection while the database fails.

    For the record of a side effect that cannot be undone (an e-mail sent, a webhook POSTed):
    a database hiccup between the send and its record would otherwise leave the claim to go
    stale, and the work be done again.
    """
    retrying = Retrying(
        retry=retry_if_exception(_lost_connection),
        stop=stop_after_attempt(RECORD_ATTEMPTS) | stop_after_delay(RECORD_RETRY_SECONDS),
        wait=wait_exponential(multiplier=0.25, max=4),
        before_sleep=_close_connection,
        reraise=True,
    )
    return retrying(_in_transaction, write)


def _in_transaction(write: Callable[[], T]) -> T:
    with transaction.atomic():
        return write()
