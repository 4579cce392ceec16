"""Booking and freeing facility places, inside the transition's transaction.

The invariant lives in the ledger row (``FacilityDay``): a conditional ``UPDATE … SET booked =
booked + n WHERE booked + n <= capacity`` per facility, after locking the rows in one order.
Two approvals for the last place serialise on the row: on PostgreSQL the second waits for the
first's commit and then finds the condition false; on SQLite the IMMEDIATE transaction already
serialises them. The check constraint refuses anything that slips past either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from collections_app.models import Facility
from elvis.workflow.errors import ActionConflict

from .capacity import Availability, nearest_free_window
from .models import Booking, FacilityDay, VisitRequest


def requested_facilities(visit: VisitRequest) -> list[Facility]:
    return [
        row.facility
        for row in visit.facility_requests.select_related("facility").order_by("facility_id")
    ]


def book(visit: VisitRequest, days: Sequence[date]) -> None:
    """Book every visitor on every one of ``days`` in every facility the visit asks for.

    Raises ``ActionConflict`` naming the full days per facility and the nearest window of the
    same length that is free; the caller's transaction then rolls back whatever was booked.
    """
    facilities = requested_facilities(visit)
    visitors = visit.visitor_count
    if not facilities or not days:
        return
    availability = Availability.of(visit.institution, facilities, days[0], days[-1])
    FacilityDay.objects.bulk_create(
        [
            FacilityDay(facility=facility, date=day, capacity=availability.places(facility.pk, day))
            for facility in facilities
            for day in days
        ],
        ignore_conflicts=True,
    )
    ids = [facility.pk for facility in facilities]
    # Lock the ledger rows in one order, so approvals sharing facilities cannot deadlock.
    list(
        FacilityDay.objects.select_for_update()
        .filter(facility_id__in=ids, date__in=days)
        .order_by("facility_id", "date")
        .values_list("pk", flat=True)
    )
    _refresh_capacity(availability, facilities, days)
    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the ledger as it was
            full = _raise_booked(facilities, days, visitors)
            if full:
                raise _Full(full)
    except _Full as refusal:
        raise ActionConflict(
            _full_message(visit, facilities, refusal.full, days, visitors)
        ) from None
    Booking.objects.bulk_create(
        Booking(visit=visit, facility=facility, date=day, places=visitors)
        for facility in facilities
        for day in days
    )


def _refresh_capacity(
    availability: Availability, facilities: list[Facility], days: Sequence[date]
) -> None:
    """Bring the ledger's places to today's rules (closed and reduced-capacity days added
    since the rows were made), never below what is booked already."""
    for facility in facilities:
        places = Case(
            *(When(date=day, then=Value(availability.places(facility.pk, day))) for day in days),
            output_field=IntegerField(),
        )
        FacilityDay.objects.filter(facility=facility, date__in=days).update(
            capacity=Greatest(places, F("booked"))
        )


class _Full(Exception):
    def __init__(self, full: dict[Facility, list[date]]) -> None:
        self.full = full


def _raise_booked(
    facilities: list[Facility], days: Sequence[date], visitors: int
) -> dict[Facility, list[date]]:
    """Add ``visitors`` to each facility-day that has room; return the days that had none."""
    full: dict[Facility, list[date]] = {}
    for facility in facilities:
        updated = FacilityDay.objects.filter(
            facility=facility, date__in=days, booked__lte=F("capacity") - visitors
        ).update(booked=F("booked") + visitors)
        if updated != len(days):
            full[facility] = list(
                FacilityDay.objects.filter(facility=facility, date__in=days)
                .exclude(booked__lte=F("capacity") - visitors)
                .order_by("date")
                .values_list("date", flat=True)
            )
    return full


def _full_message(
    visit: VisitRequest,
    facilities: list[Facility],
    full: dict[Facility, list[date]],
    days: Sequence[date],
    visitors: int,
) -> str:
    parts = [
        ngettext(
            "%(facility)s has fewer than %(n)d free places on %(days)s.",
            "%(facility)s has fewer than %(n)d free places on these days: %(days)s.",
            len(full_days),
        )
        % {
            "facility": facility.name,
            "n": visitors,
            "days": ", ".join(day.isoformat() for day in full_days),
        }
        for facility, full_days in full.items()
    ]
    window = nearest_free_window(
        visit.institution,
        facilities,
        length=len(days),
        visitors=visitors,
        near=days[0],
        earliest=timezone.localdate(),
    )
    if window:
        parts.append(
            _("The nearest free period of %(n)d working days is %(start)s to %(end)s.")
            % {"n": len(days), "start": window[0].isoformat(), "end": window[1].isoformat()}
        )
    else:
        parts.append(_("No period of the same length is free within a year."))
    return " ".join(parts)


def release(visit: VisitRequest, *, after: date | None = None) -> int:
    """Give back the places the visit holds (only those after ``after`` when given).

    Returns the number of facility-days freed.
    """
    bookings = Booking.objects.filter(visit=visit)
    if after is not None:
        bookings = bookings.filter(date__gt=after)
    held: dict[tuple[int, int], list[date]] = defaultdict(list)
    for facility_id, day, places in bookings.order_by("facility_id", "date").values_list(
        "facility_id", "date", "places"
    ):
        held[(facility_id, places)].append(day)
    for (facility_id, places), days in held.items():
        FacilityDay.objects.filter(facility_id=facility_id, date__in=days).update(
            booked=F("booked") - places
        )
    freed = sum(len(days) for days in held.values())
    bookings.delete()
    return freed
