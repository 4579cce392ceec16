"""Reconciling one fault of ``make faults``: what the clients were answered, what the database
holds, what the SMTP sink and the webhook receiver got. Pure functions over plain records, so
that the arithmetic the benchmark's verdict rests on is tested on its own
(tests/test_bench_fault_reconcile.py) and the live run only gathers the records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: The benchmark's goals (issue #15, "Measure").
DRAIN_GOAL_SECONDS = 120.0
#: A 5xx this close to a database reset (seconds, either side of the request) is "at the reset".
RESET_SLACK_SECONDS = 2.0


@dataclass(frozen=True)
class Call:
    """One HTTP request of the load: what was asked, when, and what came back.

    ``op`` names the logical operation the call belongs to (a retry with the same
    ``Idempotency-Key`` is another call of the same op); ``action`` is the transition it asks
    for (empty for a create or a comment), ``loan`` the loan it acts on (None while unknown).
    ``status`` is None when no answer came (connection reset, timeout).
    """

    op: str
    started: float
    ended: float
    status: int | None
    action: str = ""
    loan: int | None = None
    replayed: bool = False

    @property
    def is_5xx(self) -> bool:
        return self.status is not None and self.status >= 500

    @property
    def failed(self) -> bool:
        """A 5xx or no answer at all: the client cannot tell whether it happened."""
        return self.status is None or self.is_5xx

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Post:
    """One POST the webhook receiver got: the event id it carried, the event and request it is
    about, and whether the receiver accepted it (answered 2xx before the sender gave up)."""

    event_id: str
    event: str
    resource: int | None
    accepted: bool


@dataclass(frozen=True)
class Requests:
    total: int
    five_xx: int
    five_xx_at_reset: int
    no_answer: int

    @property
    def five_xx_outside_reset(self) -> int:
        return self.five_xx - self.five_xx_at_reset


@dataclass(frozen=True)
class Transitions:
    """Every 2xx transition against its history rows."""

    answered_2xx: int
    #: 2xx transitions without exactly one history row, plus history rows nobody was told of.
    mismatched: int
    #: Committed (a history row) but the client saw a 5xx or nothing, and never a fresh 2xx:
    #: the "500 that hides a commit" (a replayed 2xx afterwards still counts here).
    failed_after_commit: int
    #: Committed, and no 2xx ever reached the client (not even a replay).
    committed_unanswered: int


@dataclass(frozen=True)
class Outbox:
    """Rows that must go out once against what arrived."""

    expected: int
    lost: int
    duplicated: int
    #: Arrivals that name no expected row (another phase's row, or nothing): shown, not judged.
    unknown: int = 0


@dataclass(frozen=True)
class Webhooks:
    expected: int
    lost: int
    #: Extra accepted POSTs of an event id already accepted: at-least-once, deduplicable.
    duplicated_same_id: int
    #: Accepted events under more than one event id: a receiver cannot deduplicate these.
    duplicated_other_id: int


@dataclass
class FaultResult:
    name: str
    requests: Requests
    transitions: Transitions
    emails: Outbox
    webhooks: Webhooks
    #: Seconds from the end of the fault until nothing was waiting; None: not within the wait.
    drain_seconds: float | None
    drain_waited: float = DRAIN_GOAL_SECONDS
    notes: list[str] = field(default_factory=list)


def count_requests(
    calls: Sequence[Call], resets: Iterable[float], slack: float = RESET_SLACK_SECONDS
) -> Requests:
    """Requests, 5xx, and which 5xx were in flight within ``slack`` of a database reset."""
    moments = list(resets)
    five_xx = [call for call in calls if call.is_5xx]
    at_reset = sum(
        1
        for call in five_xx
        if any(call.started - slack <= moment <= call.ended + slack for moment in moments)
    )
    return Requests(
        total=len(calls),
        five_xx=len(five_xx),
        five_xx_at_reset=at_reset,
        no_answer=sum(1 for call in calls if call.status is None),
    )


def check_transitions(calls: Sequence[Call], history: Iterable[tuple[int, str]]) -> Transitions:
    """Each transition op (loan, action) of ``calls`` against the history rows of those loans,
    ``history`` being (loan, action) per row. The load asks each action at most once per loan,
    so an op is identified by its (loan, action)."""
    rows = Counter(history)
    ops: dict[tuple[int, str], list[Call]] = defaultdict(list)
    for call in calls:
        if call.action and call.loan is not None:
            ops[(call.loan, call.action)].append(call)
    answered = mismatched = failed_after_commit = unanswered = 0
    for key, attempts in ops.items():
        attempts.sort(key=lambda call: call.started)
        committed = rows.get(key, 0)
        success = next((call for call in attempts if call.ok), None)
        if success is not None:
            answered += 1
            mismatched += committed != 1
        elif committed:
            unanswered += 1
            mismatched += 1
        before = attempts if success is None else attempts[: attempts.index(success)]
        if (
            committed
            and any(call.failed for call in before)
            and (success is None or success.replayed)
        ):
            failed_after_commit += 1
    loans = {loan for loan, _action in ops}
    mismatched += sum(count for key, count in rows.items() if key[0] in loans and key not in ops)
    return Transitions(answered, mismatched, failed_after_commit, unanswered)


def reconcile_outbox(expected: Iterable[int], arrived: Iterable[int | None]) -> Outbox:
    """Rows ``expected`` (notification ids) against the ids the sink's messages named."""
    wanted = set(expected)
    counts = Counter(arrived)
    return Outbox(
        expected=len(wanted),
        lost=sum(1 for pk in wanted if counts[pk] == 0),
        duplicated=sum(counts[pk] - 1 for pk in wanted if counts[pk] > 1),
        unknown=sum(count for pk, count in counts.items() if pk not in wanted),
    )


def reconcile_webhooks(expected: Iterable[str], posts: Iterable[Post]) -> Webhooks:
    """Deliveries (their event ids) against the POSTs the receiver accepted. The load causes
    each event at most once per request, so accepted POSTs of one (event, request) under
    several event ids are one event sent as several: duplicates a receiver cannot recognise."""
    wanted = set(expected)
    accepted = [post for post in posts if post.accepted and post.event_id in wanted]
    per_id = Counter(post.event_id for post in accepted)
    ids_per_event: dict[tuple[str, int | None], set[str]] = defaultdict(set)
    for post in accepted:
        ids_per_event[(post.event, post.resource)].add(post.event_id)
    return Webhooks(
        expected=len(wanted),
        lost=sum(1 for event_id in wanted if per_id[event_id] == 0),
        duplicated_same_id=sum(count - 1 for count in per_id.values()),
        duplicated_other_id=sum(len(ids) - 1 for ids in ids_per_event.values()),
    )


def missed_goals(result: FaultResult) -> list[str]:
    """The goals this fault missed, in words (empty: all met)."""
    missed = []
    if result.requests.five_xx_outside_reset:
        missed.append(f"{result.requests.five_xx_outside_reset} × 5xx outside a database reset")
    if result.transitions.mismatched:
        missed.append(f"{result.transitions.mismatched} transitions ≠ one history row")
    if result.emails.lost or result.webhooks.lost:
        missed.append(f"lost {result.emails.lost} e-mails, {result.webhooks.lost} webhook events")
    if result.emails.duplicated:
        missed.append(f"{result.emails.duplicated} duplicated e-mails")
    if result.webhooks.duplicated_other_id:
        missed.append(f"{result.webhooks.duplicated_other_id} webhook duplicates with a new id")
    if result.drain_seconds is None or result.drain_seconds > DRAIN_GOAL_SECONDS:
        missed.append("backlog not drained within 2 min")
    return missed
