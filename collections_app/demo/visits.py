"""Demo visits to NHM and MfN in every stage, so that the curators' calendars and queues show
something on the first run.

Facilities are NHM's real laboratories from ``data/elvis-inst-coll`` (given daily capacities,
which the tables lack); MfN has none in the tables, so the demo gives it a collections study
room. Dates are relative to today and fall on the institution's working days (the demo's
Christmas closures included).

Live visits go through ``perform`` like any other (approval books the ledger, history and
notifications as usual). Past visits (completed, closed) cannot: submit and approve refuse a
period that has begun. They are written as what happened: booked by ``visits.booking`` (the
ledger stays the sum of the bookings) and given the history rows their transitions would have
left. A visit is known by its requester, institution and title, so re-running adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from collections_app.models import Facility, Institution
from elvis.workflow.errors import WorkflowError
from elvis.workflow.service import perform
from visits import booking
from visits.capacity import working_days
from visits.models import (
    CapacityChange,
    ClosedDay,
    CoVisitor,
    VisitReport,
    VisitRequest,
    VisitStatus,
)

S = VisitStatus
RESEARCHER = "researcher@demo.example.org"
CURATORS = {"NHM": "curator.nhm@demo.example.org", "MfN": "curator.mfn@demo.example.org"}

#: Visitor places a day of the real facilities the demo visits use (the tables give none).
CAPACITIES: dict[tuple[str, str], int] = {
    ("NHM", "Molecular Biology Unit (MBU)"): 4,
    ("NHM", "Imaging and Analysis Centre"): 3,
    ("NHM", "NHM Analytical Facilities"): 4,
    ("NHM", "X-ray diffraction laboratories"): 2,
    ("NHM", "Zoology Radiography Suite"): 2,
}
#: MfN lists no facility in the ELViS tables: the demo gives it one to visit.
MFN_STUDY_ROOM = "Collections study room"
MFN_STUDY_ROOM_PLACES = 6


@dataclass(frozen=True)
class DemoVisit:
    institution: str
    facility: str
    collection: str  # a plan code (demo.plans.PLANS) the institution holds
    title: str
    purpose: str
    status: str
    #: The period: the first ``days`` working days from ``starts_in`` days after today (after
    #: the first of next month with ``next_month``, so that month's calendar shows it).
    starts_in: int
    days: int
    next_month: bool = False
    team: tuple[tuple[str, str], ...] = ()  # (name, e-mail) of co-visitors
    confirmed: int = 0  # how many of the team have confirmed by their link
    comment: str = ""  # the curator's, when changes were requested


VISITS: tuple[DemoVisit, ...] = (
    DemoVisit(
        "NHM", "Molecular Biology Unit (MBU)", "ENT",
        "Barcoding the Carabus types of the Bates collection",
        "DNA barcodes (COI) from the legs of 40 Carabus type specimens, to anchor names in "
        "an ongoing revision of the genus.",
        S.APPROVED, starts_in=1, days=5,
        team=(("Tomás Lepido", "tomas.lepido@demo.example.org"),), confirmed=1,
    ),
    DemoVisit(
        "MfN", MFN_STUDY_ROOM, "ORN",
        "Moult in Birds-of-paradise skins collected in New Guinea",
        "Scoring moult in 300 study skins for a phenology study of Paradisaeidae.",
        S.APPROVED, starts_in=6, days=8, next_month=True,
        team=(("Ines Vogel", "ines.vogel@demo.example.org"),
              ("Jonas Feder", "jonas.feder@demo.example.org")),
        confirmed=1,
    ),
    DemoVisit(
        "NHM", "Imaging and Analysis Centre", "PAL",
        "Micro-CT of Jurassic ichthyosaur braincases",
        "Scanning six braincases from Lyme Regis to describe their inner ear.",
        S.SUBMITTED, starts_in=28, days=3,
        team=(("Mara Lias", "mara.lias@demo.example.org"),),
    ),
    DemoVisit(
        "MfN", MFN_STUDY_ROOM, "MAM",
        "Skull morphometrics of Central European bats",
        "Landmarking 250 skulls of Myotis and Plecotus for a morphometric study.",
        S.UNDER_REVIEW, starts_in=42, days=10,
        team=(("Pavel Netopýr", "pavel.netopyr@demo.example.org"),),
    ),
    DemoVisit(
        "NHM", "Zoology Radiography Suite", "FISH",
        "Vertebral counts of North Sea gadids",
        "Radiographs of 120 cod and haddock to count vertebrae across a century.",
        S.CHANGES_REQUESTED, starts_in=56, days=2,
        team=(("Fenna Kabeljauw", "fenna.kabeljauw@demo.example.org"),),
        comment="Please list the registration numbers you need radiographed, so that we can "
        "have them brought up from the spirit store.",
    ),
    DemoVisit(
        "NHM", "Zoology Radiography Suite", "MAM",
        "Radiographs of Pleistocene cave bear paws",
        "Radiographs of 30 cave bear metapodials for a study of their gait.",
        S.COMPLETED, starts_in=-14, days=3,
        team=(("Ursula Höhle", "ursula.hoehle@demo.example.org"),), confirmed=1,
    ),
    DemoVisit(
        "MfN", MFN_STUDY_ROOM, "PAL",
        "Solnhofen Archaeopteryx feather impressions",
        "Photographing feather impressions of the Berlin specimen under UV light.",
        S.CLOSED, starts_in=-70, days=5,
        team=(("Lena Kalk", "lena.kalk@demo.example.org"),), confirmed=1,
    ),
)  # fmt: skip

REPORT = {
    "publications": [
        {
            "citation": "Fieldwork R., Kalk L. (2026) UV-fluorescence of the Berlin "
            "Archaeopteryx feathers. Palaeontology. doi:10.1111/pala.12700",
            "doi": "10.1111/pala.12700",
        }
    ],
    "datasets": ["https://doi.org/10.5281/zenodo.0000000"],
    "specimens_examined": 1,
    "summary": "Feather outlines mapped under UV light; the dataset holds the 212 images.",
}


def next_christmas_closures(today: date) -> list[tuple[date, str]]:
    """24–26 December and 1 January of the coming holidays."""
    year = today.year if today <= date(today.year, 12, 26) else today.year + 1
    return [
        (date(year, 12, 24), "Christmas Eve"),
        (date(year, 12, 25), "Christmas Day"),
        (date(year, 12, 26), "Boxing Day"),
        (date(year + 1, 1, 1), "New Year's Day"),
    ]


def first_of_next_month(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def calendar(institutions: dict[str, Institution], today: date) -> dict[str, Facility]:
    """Capacities of the facilities visited, the closures and one reduced day; the facilities
    by name (the demo owns these values: re-running resets them)."""
    facilities: dict[str, Facility] = {}
    for (code, name), places in CAPACITIES.items():
        facility = Facility.objects.get(institution=institutions[code], name=name)
        if facility.daily_capacity != places:
            facility.daily_capacity = places
            facility.save(update_fields=["daily_capacity", "updated_at"])
        facilities[name] = facility
    facilities[MFN_STUDY_ROOM], _created = Facility.objects.get_or_create(
        institution=institutions["MfN"],
        name=MFN_STUDY_ROOM,
        defaults={"type": Facility.Type.WORKSPACE, "daily_capacity": MFN_STUDY_ROOM_PLACES},
    )
    for code in CURATORS:
        for day, reason in next_christmas_closures(today):
            ClosedDay.objects.get_or_create(
                institution=institutions[code], date=day, defaults={"reason": reason}
            )
    xray = facilities["X-ray diffraction laboratories"]
    if not xray.capacity_changes.exists():
        after = first_of_next_month(today) + timedelta(days=9)
        service_day = working_days(xray.institution, after, after + timedelta(days=30))[0]
        CapacityChange.objects.create(
            facility=xray, date=service_day, capacity=0, reason="Annual instrument service"
        )
    return facilities


def period(institution: Institution, today: date, plan: DemoVisit) -> list[date]:
    earliest = (first_of_next_month(today) if plan.next_month else today) + timedelta(
        days=plan.starts_in
    )
    days = working_days(institution, earliest, earliest + timedelta(days=plan.days * 3 + 30))
    return days[: plan.days]


#: Loggers whose lines about the demo's own transitions are not news to whoever runs seed_demo:
#: ``perform``'s one line per transition, and kombu's note on the embedded broker's URL when the
#: transitions' e-mails are queued at commit.
QUIET = {"elvis.workflow.service": logging.WARNING, "kombu.connection": logging.ERROR}


@contextmanager
def quiet_transitions() -> Iterator[None]:
    """Keep the ``QUIET`` loggers' routine lines off the console (wrap the commit too)."""
    levels = {name: logging.getLogger(name).level for name in QUIET}
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def seed_visits(institutions: dict[str, Institution]) -> tuple[int, list[str]]:
    """Create the demo visits that do not exist yet; returns how many, and any that could not
    be booked (another booking took their places) as warnings."""
    users = get_user_model().objects.in_bulk([RESEARCHER, *CURATORS.values()], field_name="email")
    researcher = users[RESEARCHER]
    today = timezone.localdate()
    facilities = calendar(institutions, today)
    created, warnings = 0, []
    for plan in VISITS:
        institution = institutions[plan.institution]
        if VisitRequest.objects.filter(
            requester=researcher, institution=institution, title=plan.title
        ).exists():
            continue
        curator = users[CURATORS[plan.institution]]
        try:
            with transaction.atomic():
                make_visit(plan, researcher, curator, institution, facilities, today)
        except WorkflowError as refused:
            warnings.append(f"{plan.title}: {refused}")
            continue
        created += 1
    return created, warnings


def make_visit(
    plan: DemoVisit,
    researcher: Any,
    curator: Any,
    institution: Institution,
    facilities: dict[str, Facility],
    today: date,
) -> VisitRequest:
    days = period(institution, today, plan)
    visit = VisitRequest.objects.create(
        requester=researcher,
        institution=institution,
        title=plan.title,
        purpose=plan.purpose,
        proposed_start=days[0],
        proposed_end=days[-1],
    )
    visit.collections.add(institution.collections.get(code=plan.collection))
    visit.facility_requests.create(facility=facilities[plan.facility])
    for name, email in plan.team:
        CoVisitor.objects.create(visit=visit, name=name, email=email)
    if plan.starts_in < 0:
        record_past_visit(visit, plan, researcher, curator, days)
    else:
        run_live_visit(visit, plan, researcher, curator)
    confirmed = [m.pk for m in visit.co_visitors.all()[: plan.confirmed]]
    CoVisitor.objects.filter(pk__in=confirmed).update(confirmed_at=timezone.now())
    return visit


def run_live_visit(visit: VisitRequest, plan: DemoVisit, researcher: Any, curator: Any) -> None:
    """Through the workflow, as a researcher and a curator would."""
    perform(visit, "submit", actor=researcher)
    if plan.status == S.UNDER_REVIEW:
        perform(visit, "start_review", actor=curator)
    elif plan.status == S.APPROVED:
        perform(visit, "approve", actor=curator, comment="Welcome: ask at the front desk.")
    elif plan.status == S.CHANGES_REQUESTED:
        perform(visit, "request_changes", actor=curator, comment=plan.comment)


def record_past_visit(
    visit: VisitRequest, plan: DemoVisit, researcher: Any, curator: Any, days: list[date]
) -> None:
    """What a visit that has happened left behind: its bookings, dates, report and history."""
    start, end = days[0], days[-1]

    def moment(day: date, hour: int = 10) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour)))

    booking.book(visit, days)
    visit.status = plan.status
    visit.submitted_at = moment(start - timedelta(days=40))
    visit.confirmed_start, visit.confirmed_end = start, end
    visit.completed_on = end
    visit.actual_days, visit.actual_visitors = len(days), 1 + len(plan.team)
    visit.sequence = 2
    visit.save()
    visit.co_visitors.update(invited_at=visit.submitted_at)
    steps = [
        ("submit", S.DRAFT, S.SUBMITTED, researcher, start - timedelta(days=40), {}),
        ("approve", S.SUBMITTED, S.APPROVED, curator, start - timedelta(days=30),
         {"confirmed_start": start.isoformat(), "confirmed_end": end.isoformat()}),
        ("complete", S.APPROVED, S.COMPLETED, curator, end,
         {"actual_days": visit.actual_days, "actual_visitors": visit.actual_visitors}),
    ]  # fmt: skip
    if plan.status == S.CLOSED:
        VisitReport.objects.create(visit=visit, submitted_by=researcher, **REPORT)
        steps.append(("submit_report", S.COMPLETED, S.CLOSED, researcher, end + timedelta(days=9),
                      {"specimens_examined": REPORT["specimens_examined"]}))  # fmt: skip
    for action, source, target, actor, day, data in steps:
        visit.history.create(
            action=action,
            from_status=source,
            to_status=target,
            actor=actor,
            data=data,
            created_at=moment(day, 16 if action == "complete" else 10),
        )
