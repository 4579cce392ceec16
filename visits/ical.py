"""Visits as iCalendar (RFC 5545), built with the ``icalendar`` library.

One VEVENT per visit with a stable UID (the reference at the site's host), ``SEQUENCE`` from
the visit's calendar revision (raised on every change of its booking), all-day dates from the
first to the day after the last, and ``STATUS:CANCELLED`` once a confirmed visit is off.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import cast
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import VisitRequest, VisitStatus

PRODID = "-//ELViS//Collection visits//EN"
#: Visits that were confirmed and are still (or no longer) happening.
CANCELLED_STATUSES = (VisitStatus.CANCELLED, VisitStatus.WITHDRAWN)


def uid(visit: VisitRequest) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "elvis.invalid"
    return f"{visit.reference.lower()}@{host}"


def event(visit: VisitRequest) -> Event:
    entry = Event()
    entry.add("uid", uid(visit))
    entry.add("dtstamp", timezone.now())
    entry.add("last-modified", visit.updated_at)
    entry.add("sequence", visit.sequence)
    entry.add("dtstart", visit.confirmed_start)
    # Only approved visits are in a calendar: they have confirmed dates.
    entry.add("dtend", cast("date", visit.confirmed_end) + timedelta(days=1))
    facilities = ", ".join(row.facility.name for row in visit.facility_requests.all())
    entry.add("summary", f"{visit.reference}: {visit.requester.get_full_name()} — {visit.title}")
    entry.add("location", f"{visit.institution.name}" + (f" ({facilities})" if facilities else ""))
    team = [visit.requester.get_full_name(), *(c.name for c in visit.co_visitors.all())]
    entry.add(
        "description",
        f"{len(team)} visitor(s): {', '.join(team)}\n"
        f"{settings.SITE_URL.rstrip('/')}{visit.get_absolute_url()}",
    )
    entry.add("url", f"{settings.SITE_URL.rstrip('/')}{visit.get_absolute_url()}")
    entry.add("status", "CANCELLED" if visit.status in CANCELLED_STATUSES else "CONFIRMED")
    entry.add("transp", "OPAQUE")
    return entry


def calendar(visits: Iterable[VisitRequest], *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for visit in visits:
        if visit.confirmed_start and visit.confirmed_end:
            cal.add_component(event(visit))
    return cal.to_ical()


def feed_visits():
    """Visits a feed shows: every visit that was ever confirmed (cancelled ones included, so
    subscribed calendars remove them), with what an event needs."""
    return (
        VisitRequest.objects.filter(confirmed_start__isnull=False)
        .select_related("requester", "institution")
        .prefetch_related("facility_requests__facility", "co_visitors")
        .order_by("confirmed_start", "pk")
    )


def approval_attachment(event_name: str, visit: VisitRequest) -> list[dict[str, str]]:
    """The visit's calendar entry, for the e-mails of its approval and of a new date."""
    if event_name not in ("visit.approved", "visit.rescheduled") or not visit.confirmed_start:
        return []
    content = calendar([visit], name=visit.reference).decode()
    return [{"name": f"{visit.reference}.ics", "mimetype": "text/calendar", "content": content}]
