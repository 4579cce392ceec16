"""Benchmark 6: the request lists and transitions, at 200 and at 20,000 loans.

Loans are written in bulk under 20 institutions ``BQ00``…``BQ19`` (deleted first), each with
two described items, two history rows and, for three in four, a comment. Nine curators handle
all twenty institutions: one reads (by its API token, and by its browser session on the admin's
queue and on the API), eight approve at once. Cases, each at both sizes:

- the API list, 50 rows and 10 rows, page 1 (the default order, ``-updated_at``);
- a deep page: the middle of the list, reached by the cursor the API itself would give
  (``encode_cursor``), as a client following ``next`` links reaches it;
- ``?status=submitted``, 20 rows (a page both sizes fill);
- the admin's queue page and the API list as the curator's browser session;
- transitions per second: 8 curators each ``start_review`` their own submitted loans at once.

Lists are loaded against gunicorn (``serving.gunicorn``) by ``load.apply_load``: wrk when it is
installed, as issue #13 measured, else Python threads (the report names which). The sizes are
measured in turns (200, 20,000, 20,000, 200, …; ``run``), seeded again for each, so that the
goal comparing them meets the machine's drift on both sides alike. Throttles are
raised by ``run_bench.bench_environment``. ``profile_list`` runs the 50-row list in-process
under pyinstrument and returns its top frames (bench/README.md keeps the before and after)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from collections_app.models import Collection, Institution, Membership
from elvis.api.pagination import KeysetPagination, encode_cursor
from elvis.api.requests.viewsets import viewset_for_kind
from elvis.workflow.kinds import get_kind
from loans.models import LoanComment, LoanHistory, LoanItem, LoanRequest

from .load import Load, LoadSpec, apply_load, in_turns
from .serving import gunicorn
from .timing import Latencies

PREFIX, INSTITUTIONS, APPROVERS = "BQ", 20, 8
LIST = "/api/v1/loan-requests/"
QUEUE = "/admin/loans/loanrequest/"
STATUSES = ("submitted", "under_review", "approved", "on_loan", "returned", "closed")
GOAL_RPS, GOAL_P50_MS, GOAL_FLAT = 100.0, 60.0, 1.1
#: Turns of each size (``run``): seeded again and measured in a slice of the load each time.
TURNS = 4


@dataclass(frozen=True)
class Actors:
    token: str
    session: str
    approver_tokens: list[str]


@dataclass
class CaseResult(Load):
    """One case's run at one size of the data."""

    name: str
    size: int


def _reset() -> list[Institution]:
    loans = LoanRequest.objects.filter(institution__code__startswith=PREFIX)
    LoanHistory.objects.filter(request__in=loans).delete()
    LoanComment.objects.filter(request__in=loans).delete()
    LoanItem.objects.filter(loan__in=loans).delete()
    loans.delete()
    Collection.objects.filter(institution__code__startswith=PREFIX).delete()
    Institution.objects.filter(code__startswith=PREFIX).delete()
    return Institution.objects.bulk_create(
        Institution(code=f"{PREFIX}{n:02d}", name=f"Request bench {n}", country="GB")
        for n in range(INSTITUTIONS)
    )


def _user(email: str, institutions: list[Institution]):
    from accounts.tokens import issue

    user, _ = get_user_model().objects.get_or_create(email=email, defaults={"full_name": email})
    Membership.objects.bulk_create(
        [Membership(user=user, institution=i, role=Membership.Role.CURATOR) for i in institutions],
        ignore_conflicts=True,
    )
    return user, issue(user, "request bench")[1]


def seed(size: int) -> Actors:
    """``size`` loans over 20 institutions, written in bulk, and the curators who read them."""
    institutions = _reset()
    collections = Collection.objects.bulk_create(
        Collection(institution=i, code="ENT", name="Entomology", accepts_loans=True)
        for i in institutions
    )
    researcher, _ = get_user_model().objects.get_or_create(
        email="bench-requester@example.org", defaults={"full_name": "Requester"}
    )
    now = timezone.now()
    loans = LoanRequest.objects.bulk_create(
        (
            LoanRequest(
                reference=f"LOAN-{PREFIX}-{n:07d}",
                requester=researcher,
                institution=institutions[n % INSTITUTIONS],
                title=f"Revision of Carabus, part {n}",
                purpose="Morphological revision of the genus.",
                status=STATUSES[n % len(STATUSES)],
                submitted_at=now - timedelta(minutes=n),
            )
            for n in range(size)
        ),
        batch_size=2000,
    )
    LoanRequest.collections.through.objects.bulk_create(
        (
            LoanRequest.collections.through(
                request_id=loan.pk, collection_id=collections[n % INSTITUTIONS].pk
            )
            for n, loan in enumerate(loans)
        ),
        batch_size=5000,
    )
    LoanItem.objects.bulk_create(
        (LoanItem(loan=loan, description=f"Lot {k}", quantity=3) for loan in loans for k in (1, 2)),
        batch_size=5000,
    )
    LoanHistory.objects.bulk_create(
        (
            LoanHistory(request=loan, action=action, from_status=a, to_status=b, actor=researcher)
            for loan in loans
            for action, a, b in (
                ("submit", "draft", "submitted"),
                ("note", "submitted", "submitted"),
            )
        ),
        batch_size=5000,
    )
    LoanComment.objects.bulk_create(
        (
            LoanComment(request=loan, author=researcher, body="Is the drawer complete?")
            for n, loan in enumerate(loans)
            if n % 4
        ),
        batch_size=5000,
    )
    reader, token = _user("bench-list-curator@example.org", institutions)
    approvers = [
        _user(f"bench-approver-{n}@example.org", institutions)[1] for n in range(APPROVERS)
    ]
    browser = Client()
    browser.force_login(reader)
    _vacuum_analyze()
    return Actors(
        token=token, session=browser.cookies["sessionid"].value, approver_tokens=approvers
    )


def _vacuum_analyze() -> None:
    """What autovacuum would have done by the time a real queue is read: the tables just
    written (and the rows of earlier runs just deleted) vacuumed and counted. Where autovacuum
    is off, as on the benchmark machine, a plain ``ANALYZE`` left each run's deleted rows
    behind (tables growing run after run) and the new rows without their hint bits, which the
    first reads then set, as the first case at 20,000 loans did (bench/README.md)."""
    from django.db import connection

    models = (
        LoanRequest,
        LoanRequest.collections.through,
        LoanItem,
        LoanHistory,
        LoanComment,
        Collection,
        Institution,
        Membership,
        get_user_model(),
        ApiToken,
    )
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _deep_path(size: int, page_size: int) -> str:
    """The middle page, by the cursor the list's ``next`` link would carry there."""
    ordering = list(LoanRequest._meta.ordering)
    loans = LoanRequest.objects.filter(institution__code__startswith=PREFIX).order_by(*ordering)
    middle = (size // 2 // page_size) * page_size
    if viewset_for_kind(get_kind("loan")).pagination_class is not KeysetPagination:
        return f"{LIST}?page_size={page_size}&page={middle // page_size + 1}"  # before: numbers
    before = loans[middle - 1]
    return f"{LIST}?page_size={page_size}&cursor={encode_cursor(ordering, before)}"


def list_cases(size: int) -> list[tuple[str, str, str]]:
    """``(name, path, credential)``: credential ``token`` or ``session``."""
    return [
        ("API list, 50 rows, page 1", f"{LIST}?page_size=50", "token"),
        ("API list, 10 rows, page 1", f"{LIST}?page_size=10", "token"),
        ("API list, 50 rows, middle page", _deep_path(size, 50), "token"),
        # 20 rows: at 200 loans only about 34 are submitted, and a page both sizes fill is
        # what compares the cost of a page (a 34-row page against a 50-row one would not).
        ("API list, status=submitted, 20 rows", f"{LIST}?page_size=20&status=submitted", "token"),
        ("API list as the browser session", f"{LIST}?page_size=50", "session"),
        ("admin queue page (session)", QUEUE, "session"),
    ]


def _headers(actors: Actors, credential: str) -> dict[str, str]:
    if credential == "token":
        return {"Authorization": f"Token {actors.token}", "Accept": "application/json"}
    return {"Cookie": f"sessionid={actors.session}", "Accept": "application/json"}


def run_lists(port: int, size: int, actors: Actors, spec: LoadSpec) -> dict[str, Load]:
    """Each list case at the data's current ``size`` under ``spec``, by name."""
    results = {}
    for name, path, credential in list_cases(size):
        headers = _headers(actors, credential)
        apply_load(port, [path], spec.warm_up(), headers)  # reaches every worker
        results[name] = apply_load(port, [path], spec, headers)
    return results


def _post(port: int, path: str, token: str) -> int:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps({"comment": "Looking at it."})
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        client.request("POST", path, body=body, headers=headers)
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


def run_transitions(port: int, size: int, actors: Actors, count: int) -> CaseResult:
    """``start_review`` of ``count`` submitted loans by the 8 curators at once."""
    ids = list(
        LoanRequest.objects.filter(institution__code__startswith=PREFIX, status="submitted")
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    jobs = deque(ids)
    latencies, errors, lock = Latencies(), [0], threading.Lock()

    def curator(token: str) -> None:
        while True:
            try:
                pk = jobs.popleft()
            except IndexError:
                return
            started = time.perf_counter()
            status = _post(port, f"{LIST}{pk}/start_review/", token)
            with lock:
                latencies.add(time.perf_counter() - started)
                errors[0] += status != 200

    threads = [threading.Thread(target=curator, args=(t,)) for t in actors.approver_tokens]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return CaseResult(latencies, errors[0], seconds, name="transitions, 8 curators", size=size)


def profile_list(actors: Actors, page_size: int = 50, top: int = 25) -> str:
    """The 50-row API list run in-process under pyinstrument: the slowest frames, as text."""
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    client = Client(HTTP_AUTHORIZATION=f"Token {actors.token}")
    client.get(f"{LIST}?page_size={page_size}")  # warm: imports, caches
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(20):
        response = client.get(f"{LIST}?page_size={page_size}")
        assert response.status_code == 200, response.content[:200]
    profiler.stop()
    # Flat: the functions that spend the time themselves (the middleware chain above the view
    # spends none of its own), with the CPU time against the wall time in the header.
    renderer = ConsoleRenderer(unicode=False, color=False, flat=True, time="percent_of_total")
    return "\n".join(profiler.output(renderer).splitlines()[:top])


def run(env: dict[str, str], sizes: list[int], spec: LoadSpec, workers: int) -> dict[str, Any]:
    """Every case at every size, the sizes in ``TURNS`` turns (``load.in_turns``), each turn
    seeded again and given a slice of ``spec``; transitions and the profile at a size's last
    turn. Gunicorn stays up throughout (only the rows change).

    The goal compares the sizes' pages with each other: measured one size after the other,
    minutes apart, the comparison met the machine's drift as often as the data (the browser
    session's list 0.96× in one run, 1.52× in the next, bench/README.md)."""
    order = in_turns(sizes, TURNS)
    runs: dict[tuple[str, int], list[Load]] = defaultdict(list)
    found: dict[str, Any] = {"lists": [], "transitions": [], "profile": ""}
    seeded: tuple[int, Actors] | None = None
    with gunicorn(env, workers) as port:
        for turn, size in enumerate(order):
            if seeded is None or seeded[0] != size:
                seeded = (size, seed(size))
            actors = seeded[1]
            for name, measured in run_lists(port, size, actors, spec.sliced(TURNS)).items():
                runs[(name, size)].append(measured)
            if size in order[turn + 1 :]:
                continue
            found["transitions"].append(run_transitions(port, size, actors, min(200, size // 8)))
            if size == max(sizes):
                found["profile"] = profile_list(actors)
    found["lists"] = [
        CaseResult(**vars(Load.combined(loads)), name=name, size=size)
        for (name, size), loads in sorted(runs.items(), key=lambda item: item[0][1])
    ]
    return found
