"""Races with real threads, each on its own database connection: the row lock decides.

Runs on SQLite (serialised by IMMEDIATE transactions) and on PostgreSQL (select_for_update), where
CI runs the whole suite a second time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connections

from elvis.workflow.errors import InvalidTransition
from elvis.workflow.models import ReferenceCounter
from elvis.workflow.service import perform
from loans.models import LoanRequest

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls: Callable[[], object]) -> list[object]:
    """Start every call at the same moment in its own thread; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_curators_approving_at_once_exactly_one_wins(make_loan, curator_a, coordinator_a):
    loan = make_loan(status="submitted")

    def approve(actor):
        return lambda: perform(LoanRequest.objects.get(pk=loan.pk), "approve", actor=actor)

    results = run_together(approve(curator_a), approve(coordinator_a))

    winners = [r for r in results if isinstance(r, LoanRequest)]
    losers = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].status == "approved"
    loan.refresh_from_db()
    assert loan.status == "approved"
    assert loan.history.count() == 1


def test_concurrent_approve_and_withdraw_leave_one_consistent_outcome(
    make_loan, curator_a, researcher
):
    loan = make_loan(status="under_review")
    results = run_together(
        lambda: perform(LoanRequest.objects.get(pk=loan.pk), "approve", actor=curator_a),
        lambda: perform(LoanRequest.objects.get(pk=loan.pk), "withdraw", actor=researcher),
    )
    loan.refresh_from_db()
    history = list(loan.history.values_list("action", "to_status"))
    assert all(isinstance(r, LoanRequest | InvalidTransition) for r in results), results
    if loan.status == "approved":  # withdraw may follow an approval: both valid in that order
        assert history == [("approve", "approved")]
    else:
        assert loan.status == "withdrawn"
        assert history[-1] == ("withdraw", "withdrawn")
        assert len(history) in (1, 2)


def test_references_allocated_concurrently_are_all_distinct():
    calls = 8
    results = run_together(*[lambda: ReferenceCounter.allocate("RACE", 2030)] * calls)
    assert all(isinstance(r, str) for r in results), results
    assert sorted(results) == [f"RACE-2030-{n:06d}" for n in range(1, calls + 1)]
