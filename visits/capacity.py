"""Working days and free places: the arithmetic every face of visits shares.

A day is a *working day* of an institution when its weekday is open (``open_weekdays``,
weekends closed by default) and it is not one of the institution's closed days. A facility's
*capacity* on a working day is its daily capacity unless a reduced-capacity day says otherwise;
on any other day it is 0. *Booked* places come from the ledger (``FacilityDay``).

Every function here reads a whole period in a constant number of queries, so the calendar page,
the form's availability table, the API and the approval's suggestion cost the same for one visit
or ten thousand.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from collections_app.models import Facility, Institution

from .models import CapacityChange, ClosedDay, FacilityDay


def days_between(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True)
class OpeningCalendar:
    """An institution's open weekdays and closed dates over a period."""

    open_weekdays: frozenset[int]
    closed: frozenset[date]

    @classmethod
    def of(cls, institution: Institution, start: date, end: date) -> OpeningCalendar:
        closed = ClosedDay.objects.filter(
            institution=institution, date__range=(start, end)
        ).values_list("date", flat=True)
        return cls(
            open_weekdays=frozenset(int(d) for d in institution.open_weekdays),
            closed=frozenset(closed),
        )

    def is_open(self, day: date) -> bool:
        return day.isoweekday() in self.open_weekdays and day not in self.closed

    def working_days(self, start: date, end: date) -> list[date]:
        return [day for day in days_between(start, end) if self.is_open(day)]


def working_days(institution: Institution, start: date, end: date) -> list[date]:
    """The institution's working days from ``start`` to ``end`` (both included)."""
    if end < start:
        return []
    return OpeningCalendar.of(institution, start, end).working_days(start, end)


@dataclass(frozen=True)
class Availability:
    """Places per facility and day over a period: what exists, what is booked, what is free."""

    start: date
    end: date
    calendar: OpeningCalendar
    facilities: tuple[Facility, ...]
    capacity: dict[tuple[int, date], int]
    booked: dict[tuple[int, date], int]

    @classmethod
    def of(
        cls, institution: Institution, facilities: Iterable[Facility], start: date, end: date
    ) -> Availability:
        facilities = tuple(facilities)
        calendar = OpeningCalendar.of(institution, start, end)
        ids = [facility.pk for facility in facilities]
        changes = {
            (change.facility_id, change.date): change.capacity
            for change in CapacityChange.objects.filter(
                facility_id__in=ids, date__range=(start, end)
            )
        }
        capacity: dict[tuple[int, date], int] = {}
        for day in days_between(start, end):
            open_day = calendar.is_open(day)
            for facility in facilities:
                key = (facility.pk, day)
                capacity[key] = changes.get(key, facility.daily_capacity) if open_day else 0
        booked = {
            (row["facility_id"], row["date"]): row["booked"]
            for row in FacilityDay.objects.filter(
                facility_id__in=ids, date__range=(start, end)
            ).values("facility_id", "date", "booked")
        }
        return cls(start, end, calendar, facilities, capacity, booked)

    def calendar_days(self) -> list[date]:
        """Every date of the period, open or not (tables show the closed days too)."""
        return list(days_between(self.start, self.end))

    def reduced(self, facility: Facility, day: date) -> bool:
        """An open day with fewer places than the facility's daily capacity (a reduced-capacity
        day), which pages mark so that a curator sees why a day is short."""
        return (
            self.calendar.is_open(day) and self.places(facility.pk, day) < facility.daily_capacity
        )

    def places(self, facility_id: int, day: date) -> int:
        return self.capacity.get((facility_id, day), 0)

    def taken(self, facility_id: int, day: date) -> int:
        return self.booked.get((facility_id, day), 0)

    def free(self, facility_id: int, day: date) -> int:
        return max(self.places(facility_id, day) - self.taken(facility_id, day), 0)

    def full_days(self, facility_id: int, days: Sequence[date], visitors: int) -> list[date]:
        """The days among ``days`` without ``visitors`` free places."""
        return [day for day in days if self.free(facility_id, day) < visitors]

    def window_fits(self, days: Sequence[date], visitors: int) -> bool:
        return all(not self.full_days(facility.pk, days, visitors) for facility in self.facilities)


def nearest_free_window(
    institution: Institution,
    facilities: Sequence[Facility],
    *,
    length: int,
    visitors: int,
    near: date,
    earliest: date,
    horizon: int = 366,
) -> tuple[date, date] | None:
    """The ``length``-working-day window closest to ``near`` (not before ``earliest``) where
    every facility has ``visitors`` free places each day; ``None`` within ``horizon`` days."""
    first = max(earliest, near - timedelta(days=horizon))
    last = near + timedelta(days=horizon)
    availability = Availability.of(institution, facilities, first, last)
    open_days = availability.calendar.working_days(first, last)
    candidates = sorted(
        range(len(open_days) - length + 1), key=lambda i: (abs((open_days[i] - near).days), i)
    )
    for i in candidates:
        window = open_days[i : i + length]
        if availability.window_fits(window, visitors):
            return window[0], window[-1]
    return None
