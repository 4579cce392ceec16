"""What ``manage.py seed_demo`` builds: institutions, accounts, specimens, and requests of every
kind in every stage, read from one seeding per test module.

Seeding takes seconds, and these tests only read what it made (or seed again and compare), so
the module seeds once, inside a transaction rolled back when the module ends; each test runs in
a savepoint of it (pytest-django's ``db``), so whatever a test changes is undone before the
next. How a seeding runs (its output, a count refused, the printed token) is
``test_seed_demo.py``'s, one seeding per test.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Sum
from django.test import override_settings
from django.utils import timezone

from accounts.models import ApiToken
from collections_app.demo.accounts import ACCOUNTS, DEMO_PASSWORD
from collections_app.demo.taxa import TAXA
from collections_app.models import (
    Collection,
    Facility,
    Institution,
    Instrument,
    Membership,
    Specimen,
)
from notifications.models import Notification
from tests.demo_support import login_lines, seed
from virtual_access.models import (
    Capture,
    DigitisationHistory,
    DigitisationItem,
    DigitisationRequest,
)
from visits.capacity import working_days
from visits.models import (
    Booking,
    CapacityChange,
    ClosedDay,
    CoVisitor,
    FacilityDay,
    VisitHistory,
    VisitReport,
    VisitRequest,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """The demo with 300 specimens, seeded once for the module; what ``seed_demo`` printed.

    Its captures, derivatives and packages go to a MEDIA_ROOT of the module's own.
    """
    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        yield seed(specimens=300)
        transaction.set_rollback(True)


def counts() -> dict[str, int]:
    models = (
        *(Institution, Collection, Facility, Instrument, Specimen, Membership, ApiToken),
        *(VisitRequest, CoVisitor, VisitHistory, VisitReport, Booking, FacilityDay),
        *(ClosedDay, CapacityChange),
        *(DigitisationRequest, DigitisationItem, Capture, DigitisationHistory),
    )
    return {
        "users": get_user_model().objects.count(),
        **{model.__name__: model.objects.count() for model in models},
    }


def test_botanic_gardens_get_herbaria_and_seed_banks_museums_get_zoology(seeded):
    kew = set(Collection.objects.filter(institution__code="RBGK").values_list("code", flat=True))
    nhm = Collection.objects.filter(institution__code="NHM")

    assert kew == {"HERB", "SEED"}
    assert {"ENT", "PAL", "HERB"} <= set(nhm.values_list("code", flat=True))
    assert set(nhm.values_list("discipline", flat=True)) >= {"Entomology", "Palaeontology"}


def test_specimens_look_like_catalogue_data(seeded):
    nhm_insects = Specimen.objects.filter(
        collection__institution__code="NHM", collection__code="ENT"
    )
    kew_sheets = Specimen.objects.filter(
        collection__institution__code="RBGK", collection__code="HERB"
    )
    specimens = list(Specimen.objects.all())

    assert all(re.fullmatch(r"NHMUK010\d{6}", s.catalog_number) for s in nhm_insects)
    assert all(re.fullmatch(r"K\d{9}", s.catalog_number) for s in kew_sheets)
    assert all(re.fullmatch(r"[A-Z]{2}", s.country) and s.locality for s in specimens)
    iso_date = r"\d{4}(-\d\d-\d\d(/\d{4}-\d\d-\d\d)?)?"  # a year, a day or an interval
    assert all(re.fullmatch(iso_date, s.event_date) for s in specimens)
    binomials = {
        f"{genus} {epithet}"
        for taxa in TAXA.values()
        for genera in taxa.values()
        for genus, epithets in genera.items()
        for epithet in epithets
    }
    assert {s.scientific_name for s in specimens} <= binomials
    types = [s.type_status for s in specimens if s.type_status]
    assert 0 < len(types) < len(specimens) / 10


def test_there_is_one_account_per_role_with_the_demo_password(seeded):
    users = {user.email: user for user in get_user_model().objects.all()}
    roles = set(
        Membership.objects.values_list("user__email", "role", "institution__code").filter(
            user__email__in=[account.email for account in ACCOUNTS]
        )
    )

    assert all(users[account.email].check_password(DEMO_PASSWORD) for account in ACCOUNTS)
    assert roles == {
        ("curator.nhm@demo.example.org", Role.CURATOR, "NHM"),
        ("coordinator.nhm@demo.example.org", Role.COORDINATOR, "NHM"),
        ("curator.mfn@demo.example.org", Role.CURATOR, "MfN"),
        ("api.nhm@demo.example.org", Role.API_CLIENT, "NHM"),
    }
    assert users["admin@demo.example.org"].is_superuser
    assert not users["researcher@demo.example.org"].memberships.exists()
    assert (
        users["curator.mfn@demo.example.org"]
        .curated_collections.filter(institution__code="MfN")
        .exists()
    )
    assert ApiToken.objects.filter(user__email="api.nhm@demo.example.org").exists()


def test_running_again_creates_nothing_and_resets_the_demo_passwords(seeded):
    before = counts()
    curator = get_user_model().objects.get(email="curator.nhm@demo.example.org")
    curator.set_password("changed-by-someone-1")
    curator.save()

    again = seed(specimens=300)

    assert counts() == before
    curator.refresh_from_db()
    assert curator.check_password(DEMO_PASSWORD)
    assert login_lines(again) == login_lines(seeded)
    assert "0 new specimens" in again
    assert "0 new digitisation requests" in again


def test_demo_visits_to_nhm_and_mfn_are_in_every_stage(seeded):
    visits = VisitRequest.objects.select_related("institution")
    by_status = {visit.status: visit for visit in visits}

    assert set(by_status) == {
        "submitted", "under_review", "approved", "changes_requested", "completed", "closed"
    }  # fmt: skip
    assert {visit.institution.code for visit in visits} == {"NHM", "MfN"}
    assert CoVisitor.objects.filter(confirmed_at__isnull=False).exists()
    assert VisitReport.objects.get().visit == by_status["closed"]
    assert by_status["changes_requested"].history.last().comment
    approvals = VisitHistory.objects.filter(action="approve").select_related("actor")
    assert {entry.actor.email for entry in approvals} >= {
        "curator.nhm@demo.example.org", "curator.mfn@demo.example.org"
    }  # fmt: skip


def test_demo_visits_fall_on_working_days_at_facilities_with_places(seeded):
    for visit in VisitRequest.objects.select_related("institution"):
        days = working_days(visit.institution, visit.start, visit.end)
        assert days[0] == visit.start and days[-1] == visit.end, visit.reference
    visited = Facility.objects.filter(visit_requests__isnull=False).distinct()
    assert all(2 <= facility.daily_capacity <= 6 for facility in visited)
    assert ClosedDay.objects.filter(date__month=12, date__day=25).count() == 2
    assert CapacityChange.objects.exists()


def test_the_ledger_is_the_sum_of_the_bookings_and_within_capacity(seeded):
    ledger = {
        (day.facility_id, day.date): day.booked for day in FacilityDay.objects.filter(booked__gt=0)
    }
    bookings = {
        (row["facility_id"], row["date"]): row["places"]
        for row in Booking.objects.values("facility_id", "date").annotate(places=Sum("places"))
    }

    assert ledger and ledger == bookings
    assert not FacilityDay.objects.filter(booked__gt=F("capacity")).exists()
    held = ["approved", "completed", "closed"]
    assert not Booking.objects.exclude(visit__status__in=held).exists()


def test_the_calendar_shows_visits_this_month_and_next(seeded):
    today = timezone.localdate()
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    booked = set(Booking.objects.values_list("date", flat=True))

    assert any((day.year, day.month) == (today.year, today.month) for day in booked)
    assert any((day.year, day.month) == (next_month.year, next_month.month) for day in booked)


def test_demo_digitisation_requests_at_nhm_and_mfn_are_submitted_imaged_and_delivered(seeded):
    requests = DigitisationRequest.objects.select_related("institution")
    stages = {(r.institution.code, r.status) for r in requests}

    assert "5 new digitisation requests" in seeded
    assert stages == {
        ("NHM", "submitted"), ("NHM", "in_progress"), ("NHM", "delivered"),
        ("MfN", "submitted"), ("MfN", "delivered"),
    }  # fmt: skip
    for request in requests:
        items = list(request.items.select_related("specimen__collection"))
        assert items and all(
            item.specimen.collection in request.collections.all() for item in items
        )
    imaging = requests.get(institution__code="NHM", status="in_progress")
    assert sorted(imaging.items.values_list("status", flat=True)) == [
        "pending", "pending", "processed", "processed"
    ]  # fmt: skip
    assert imaging.cost_amount and imaging.planned_delivery


def test_demo_captures_are_processed_images_in_varied_colours(seeded):
    captures = list(Capture.objects.all())

    assert captures and {c.status for c in captures} == {"processed"}
    for capture in captures:
        assert (capture.format, capture.width, capture.height) == ("JPEG", 480, 360)
        assert Path(capture.web.path).is_file() and Path(capture.thumbnail.path).is_file()
        assert Path(capture.file.path).is_file() and capture.sha256
    hues = {round(c.hue / 30) for c in captures if c.hue is not None}
    assert len(hues) >= 5  # the colour page has something to sort


def test_delivered_demo_requests_have_their_package_and_the_researcher_was_told(seeded):
    delivered = DigitisationRequest.objects.filter(status="delivered")

    assert delivered.count() == 2
    for request in delivered:
        assert request.package_status == "built"
        with zipfile.ZipFile(request.package.path) as archive:
            assert archive.testzip() is None
            listing = json.loads(archive.read("manifest.json"))
        masters = [f for f in listing["files"] if f["path"].startswith("masters/")]
        assert len(masters) == request.items.count()
        assert request.history.filter(action="deliver").count() == 1
    assert (
        Notification.objects.filter(
            recipient__email="researcher@demo.example.org", event="digitisation.delivered"
        ).count()
        == 2
    )


def test_demo_loans_at_nhm_wait_on_its_curator_in_every_stage(seeded):
    from loans.models import LoanRequest

    loans = {loan.title: loan for loan in LoanRequest.objects.with_overdue()}
    today = timezone.localdate()

    assert len(loans) == 7
    assert {loan.institution.code for loan in loans.values()} == {"NHM"}
    statuses = sorted(loan.status for loan in loans.values())
    assert statuses == sorted(
        ["submitted", "approved", "dispatched", "on_loan", "on_loan", "partially_returned",
         "closed"]
    )  # fmt: skip
    this_week = loans["Wing polymorphism in island ground beetles"]
    assert this_week.status == "dispatched" and today < this_week.due_date <= today + timedelta(7)
    assert loans["Larval morphology of Dytiscidae"].overdue
    asked = loans["Type series of Nebria for a revision"]
    assert asked.extension_pending and asked.extension_wanted_until > asked.due_date
    lot = loans["Unsorted Staphylinidae from the Lisbon survey"].items.get(quantity=10)
    assert (lot.returned_count, lot.returned_on) == (6, None)
    late = loans["Bembidion of the Tagus estuary"]
    assert late.returned_late and late.history.filter(action="close").exists()
    for loan in loans.values():
        assert loan.history.filter(action="submit").exists()  # through the workflow


def test_demo_loans_are_made_once(seeded):
    from loans.models import LoanRequest

    before = list(LoanRequest.objects.order_by("pk").values_list("pk", "status"))
    seed(specimens=300)
    assert list(LoanRequest.objects.order_by("pk").values_list("pk", "status")) == before


def test_nhm_collections_state_loan_terms_and_one_is_closed_to_requests(seeded):
    nhm = Collection.objects.filter(institution__code="NHM")

    assert nhm.filter(code="ENT", loan_max_days=180).exclude(loan_conditions="").exists()
    assert nhm.filter(loan_permits_required=True).exists()
    assert list(nhm.filter(accepting_requests=False).values_list("code", flat=True)) == ["HERB"]
    assert Collection.objects.filter(accepting_requests=False).count() == 1
