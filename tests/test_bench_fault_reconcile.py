"""The fault benchmark's reconciliation (bench/fault_reconcile.py): given what the clients were
answered, the database rows and what the sinks received, it finds exactly the lost, the
duplicated and the 5xx that hid a commit — the numbers `make faults` judges the goals by."""

from __future__ import annotations

from bench.fault_reconcile import (
    Call,
    FaultResult,
    Outbox,
    Post,
    Requests,
    Transitions,
    Webhooks,
    check_transitions,
    count_requests,
    missed_goals,
    reconcile_outbox,
    reconcile_webhooks,
)


def call(op: str, status: int | None, *, at: float = 0.0, action: str = "", loan: int | None = 1,
         replayed: bool = False) -> Call:  # fmt: skip
    return Call(op, at, at + 0.5, status, action=action, loan=loan, replayed=replayed)


def test_5xx_are_counted_at_a_reset_only_when_in_flight_near_it():
    calls = [
        call("a", 500, at=10.0),  # in flight at the reset at 10.2
        call("b", 502, at=13.0),  # ends 13.5: within 2 s of the reset at 15
        call("c", 500, at=30.0),  # far from any reset
        call("d", None, at=31.0),  # no answer: not a 5xx
        call("e", 200, at=10.0),
    ]
    counted = count_requests(calls, resets=[10.2, 15.0])
    assert counted == Requests(total=5, five_xx=3, five_xx_at_reset=2, no_answer=1)
    assert counted.five_xx_outside_reset == 1


def test_each_2xx_transition_with_one_history_row_is_clean():
    calls = [call("s", 200, action="submit", loan=1), call("a", 200, action="approve", loan=1)]
    assert check_transitions(calls, [(1, "submit"), (1, "approve")]) == Transitions(2, 0, 0, 0)


def test_a_2xx_without_its_history_row_or_with_two_is_a_mismatch():
    calls = [call("s", 200, action="submit", loan=1), call("t", 200, action="submit", loan=2)]
    history = [(2, "submit"), (2, "submit")]
    assert check_transitions(calls, history).mismatched == 2


def test_a_history_row_of_the_loads_loan_that_no_call_asked_for_is_a_mismatch():
    calls = [call("s", 200, action="submit", loan=1)]
    history = [(1, "submit"), (1, "approve"), (9, "approve")]  # loan 9 is not the load's
    assert check_transitions(calls, history).mismatched == 1


def test_a_500_then_a_replayed_2xx_is_a_500_that_hid_a_commit():
    calls = [
        call("a", 500, at=1.0, action="approve"),
        call("a", 200, at=2.0, action="approve", replayed=True),
    ]
    result = check_transitions(calls, [(1, "approve")])
    assert result == Transitions(answered_2xx=1, mismatched=0, failed_after_commit=1,
                                 committed_unanswered=0)  # fmt: skip


def test_a_500_then_a_fresh_2xx_hid_nothing_the_first_attempt_rolled_back():
    calls = [call("a", 500, at=1.0, action="approve"), call("a", 200, at=2.0, action="approve")]
    assert check_transitions(calls, [(1, "approve")]).failed_after_commit == 0


def test_a_commit_the_client_never_heard_of_is_unanswered_and_a_mismatch():
    calls = [call("a", None, at=1.0, action="approve"), call("a", 409, at=2.0, action="approve")]
    result = check_transitions(calls, [(1, "approve")])
    assert result == Transitions(answered_2xx=0, mismatched=1, failed_after_commit=1,
                                 committed_unanswered=1)  # fmt: skip


def test_a_failed_transition_that_did_not_commit_is_neither():
    calls = [call("a", 500, action="approve")]
    assert check_transitions(calls, []) == Transitions(0, 0, 0, 0)


def test_e_mails_lost_duplicated_and_unknown():
    outbox = reconcile_outbox(expected=[1, 2, 3, 4], arrived=[1, 2, 2, 2, 4, 7, None])
    assert outbox == Outbox(expected=4, lost=1, duplicated=2, unknown=2)


def test_webhooks_duplicates_with_the_same_id_are_told_from_those_with_a_new_id():
    posts = [
        Post("e1", "loan.submitted", 1, accepted=True),
        Post("e1", "loan.submitted", 1, accepted=True),  # same id again: deduplicable
        Post("e2", "loan.approved", 1, accepted=False),  # refused (500/hang) then accepted
        Post("e2", "loan.approved", 1, accepted=True),
        Post("e3", "loan.approved", 1, accepted=True),  # one event under a second id
        Post("e4", "loan.submitted", 2, accepted=False),  # never accepted: lost
    ]
    result = reconcile_webhooks(["e1", "e2", "e3", "e4"], posts)
    assert result == Webhooks(expected=4, lost=1, duplicated_same_id=1, duplicated_other_id=1)


def test_webhook_posts_of_other_phases_are_not_counted():
    posts = [Post("old", "loan.submitted", 1, accepted=True)]
    assert reconcile_webhooks(["new"], posts) == Webhooks(1, 1, 0, 0)


def result(**changes) -> FaultResult:
    base = dict(
        name="x",
        requests=Requests(10, 2, 2, 0),
        transitions=Transitions(5, 0, 0, 0),
        emails=Outbox(3, 0, 0),
        webhooks=Webhooks(3, 0, 4, 0),
        drain_seconds=30.0,
    )
    return FaultResult(**{**base, **changes})


def test_5xx_at_a_reset_and_same_id_webhook_duplicates_meet_the_goals():
    assert missed_goals(result()) == []


def test_each_goal_missed_is_named():
    missed = missed_goals(
        result(
            requests=Requests(10, 3, 2, 0),
            transitions=Transitions(5, 1, 1, 1),
            emails=Outbox(3, 1, 1),
            webhooks=Webhooks(3, 1, 0, 1),
            drain_seconds=None,
        )
    )
    assert missed == [
        "1 × 5xx outside a database reset",
        "1 transitions ≠ one history row",
        "lost 1 e-mails, 1 webhook events",
        "1 duplicated e-mails",
        "1 webhook duplicates with a new id",
        "backlog not drained within 2 min",
    ]


def test_a_backlog_drained_after_more_than_two_minutes_misses_the_goal():
    assert missed_goals(result(drain_seconds=121.0)) == ["backlog not drained within 2 min"]
