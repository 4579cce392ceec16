"""Benchmark 4: visit approvals under concurrent curators, and the curator's month calendar.

1. 1,000 visits over the next year on 20 facilities of one institution (1–10 working days,
   one to three visitors, one to three facilities each) are approved by 8 threads at once, each
   on its own database connection, through the workflow service as the admin and the API do.
   Printed: approvals attempted per second, how many were approved and refused as full, and
   the overbooked facility-days and ledger/booking mismatches found afterwards by SQL (goal: 0).
2. The month calendar page with 10,000 confirmed visits in the institution (written directly,
   with their ledger rows and bookings): p50/p95 over repeated renders in-process with the
   test client, and the SQL queries per render (constant: it must not grow with the visits).

Everything is made under the institution ``BENCHV`` and deleted first, so the section may run
again on the same database.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from collections_app.models import Collection, Facility, Institution, Membership
from elvis.workflow.errors import ActionConflict
from elvis.workflow.service import perform
from visits.capacity import working_days
from visits.models import Booking, CoVisitor, FacilityDay, VisitFacility, VisitRequest

from .timing import Latencies

CODE = "BENCHV"
FACILITIES, CAPACITY = 20, 4


@dataclass(frozen=True)
class ApprovalResult:
    visits: int
    threads: int
    seconds: float
    approved: int
    refused: int
    errors: int
    overbooked_days: int
    ledger_mismatches: int

    @property
    def per_second(self) -> float:
        return self.visits / self.seconds


@dataclass(frozen=True)
class CalendarResult:
    visits: int
    renders: int
    latencies: Latencies
    queries: int
    queries_with_one_visit: int


def _reset() -> tuple[Institution, list[Facility], Collection, object, object]:
    """A fresh bench institution with its facilities, a curator and a researcher."""
    Booking.objects.filter(visit__institution__code=CODE).delete()
    VisitRequest.objects.filter(institution__code=CODE).delete()
    Institution.objects.filter(code=CODE).delete()
    institution = Institution.objects.create(code=CODE, name="Booking benchmark", country="GB")
    collection = Collection.objects.create(institution=institution, code="ALL", name="All")
    facilities = Facility.objects.bulk_create(
        Facility(institution=institution, name=f"Room {n:02d}", daily_capacity=CAPACITY)
        for n in range(FACILITIES)
    )
    users = get_user_model().objects
    curator, _ = users.get_or_create(email="bench-curator@example.org", defaults={"full_name": "B"})
    researcher, _ = users.get_or_create(
        email="bench-researcher@example.org", defaults={"full_name": "R"}
    )
    Membership.objects.get_or_create(
        user=curator, institution=institution, role=Membership.Role.CURATOR
    )
    return institution, facilities, collection, curator, researcher


def _visits(
    count: int, institution, facilities, collection, researcher, rng: random.Random, status: str
) -> list[VisitRequest]:
    """``count`` visits over the next year, made in bulk (references allocated per visit)."""
    today = timezone.localdate()
    open_days = working_days(institution, today + timedelta(days=7), today + timedelta(days=372))
    visits = []
    for n in range(count):
        start_index = rng.randrange(len(open_days) - 10)
        start = open_days[start_index]
        end = open_days[start_index + rng.randrange(10)]
        visits.append(
            VisitRequest(
                requester=researcher,
                institution=institution,
                title=f"Bench visit {n}",
                purpose="Benchmark.",
                proposed_start=start,
                proposed_end=end,
                status=status,
                submitted_at=timezone.now(),
            )
        )
    for visit in visits:
        visit.reference = f"VISIT-BENCH-{rng.getrandbits(48):012x}"
    VisitRequest.objects.bulk_create(visits, batch_size=1000)
    VisitRequest.collections.through.objects.bulk_create(
        VisitRequest.collections.through(request_id=v.pk, collection_id=collection.pk)
        for v in visits
    )
    VisitFacility.objects.bulk_create(
        VisitFacility(visit=v, facility=f)
        for v in visits
        for f in rng.sample(facilities, rng.randint(1, 3))
    )
    CoVisitor.objects.bulk_create(
        CoVisitor(visit=v, name="Co-visitor", email=f"team{i}-{v.pk}@example.org")
        for v in visits
        for i in range(rng.randint(0, 2))
    )
    return visits


def approvals(count: int = 1000, threads: int = 8, seed: int = 1) -> ApprovalResult:
    rng = random.Random(seed)
    institution, facilities, collection, curator, researcher = _reset()
    visits = _visits(count, institution, facilities, collection, researcher, rng, "under_review")
    queue = deque(v.pk for v in visits)
    outcome = {"approved": 0, "refused": 0, "errors": 0}
    lock = threading.Lock()

    def worker() -> None:
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    pk = queue.popleft()
                try:
                    perform(VisitRequest.objects.get(pk=pk), "approve", actor=curator)
                    key = "approved"
                except ActionConflict:
                    key = "refused"
                except Exception:  # a deadlock or an integrity error would be a defect
                    key = "errors"
                with lock:
                    outcome[key] += 1
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM visits_facilityday WHERE booked > capacity")
        overbooked = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT count(*) FROM visits_facilityday d
            LEFT JOIN (SELECT facility_id, date, sum(places) AS held FROM visits_booking
                       GROUP BY facility_id, date) b
              ON b.facility_id = d.facility_id AND b.date = d.date
            WHERE d.booked <> coalesce(b.held, 0)
            """
        )
        mismatches = cursor.fetchone()[0]
    return ApprovalResult(
        count, threads, seconds, outcome["approved"], outcome["refused"], outcome["errors"],
        overbooked, mismatches,
    )  # fmt: skip


def _confirmed(visits: list[VisitRequest], institution) -> None:
    """Mark visits approved for their proposal and write their bookings and ledger directly."""
    for visit in visits:
        visit.confirmed_start, visit.confirmed_end = visit.proposed_start, visit.proposed_end
    VisitRequest.objects.bulk_update(visits, ["confirmed_start", "confirmed_end"], batch_size=1000)
    VisitRequest.objects.filter(pk__in=[v.pk for v in visits]).update(status="approved")
    held: dict[tuple[int, date], int] = {}
    bookings = []
    rows = VisitFacility.objects.filter(visit__in=visits).values_list("visit_id", "facility_id")
    by_visit = {v.pk: v for v in visits}
    for visit_id, facility_id in rows:
        visit = by_visit[visit_id]
        for day in working_days(institution, visit.confirmed_start, visit.confirmed_end):
            bookings.append(Booking(visit_id=visit_id, facility_id=facility_id, date=day, places=1))
            held[(facility_id, day)] = held.get((facility_id, day), 0) + 1
    Booking.objects.bulk_create(bookings, batch_size=5000)
    FacilityDay.objects.bulk_create(
        (FacilityDay(facility_id=f, date=d, capacity=max(n, CAPACITY), booked=n)
         for (f, d), n in held.items()),
        batch_size=5000,
    )  # fmt: skip


def calendar(visits: int = 10_000, renders: int = 100, seed: int = 2) -> CalendarResult:
    rng = random.Random(seed)
    institution, facilities, collection, curator, researcher = _reset()
    made = _visits(visits, institution, facilities, collection, researcher, rng, "approved")
    _confirmed(made, institution)
    client = Client()
    client.force_login(curator)
    month = (timezone.localdate() + timedelta(days=40)).strftime("%Y-%m")
    url = f"/visits/calendar/?institution={institution.pk}&month={month}"
    client.get(url)  # warm up
    latencies = Latencies()
    for _ in range(renders):
        started = time.perf_counter()
        response = client.get(url)
        latencies.add(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    # The same page with a single visit, for the query count it must not exceed.
    institution, facilities, collection, curator, researcher = _reset()
    one = _visits(1, institution, facilities, collection, researcher, rng, "approved")
    _confirmed(one, institution)
    client.force_login(curator)  # the reset made a new curator
    single_url = f"/visits/calendar/?institution={institution.pk}&month={month}"
    client.get(single_url)  # warm up, as the many-visit page was
    with CaptureQueriesContext(connection) as single:
        response = client.get(single_url)
    assert response.status_code == 200, response.status_code
    return CalendarResult(visits, renders, latencies, len(many), len(single))
