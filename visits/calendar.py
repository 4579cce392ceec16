"""The curators' month view of their institution's visits: who comes when, to which facility,
and how many places are left each day.

Only people who handle the institution's requests (``handled_institution_ids``) and site staff
see it; anyone else gets a 404, as for any object outside their scope. The page is one table
that works without JavaScript and scrolls sideways on a phone. It costs a constant number of
queries however many visits the month holds (``Availability.of`` reads the whole month at once,
the visits come with their facilities and teams prefetched).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views import View

from collections_app.models import Facility, Institution
from collections_app.roles import handled_institution_ids, is_site_staff

from .capacity import Availability, days_between
from .models import CapacityChange, ClosedDay, VisitFacility, VisitRequest, VisitStatus

TEMPLATE = "visits/calendar.html"
#: Visits that hold or held places: shown on the calendar (a closed visit is a completed one
#: whose report is in: it still happened on those days).
SHOWN_STATUSES = (VisitStatus.APPROVED, VisitStatus.COMPLETED, VisitStatus.CLOSED)
#: Months the page accepts: wide enough for any real visit, narrow enough that the previous and
#: next months always exist as dates.
FIRST_YEAR, LAST_YEAR = 1900, 9998
MONTH = re.compile(r"(\d{4})-(\d{2})")


class MonthField(forms.Field):
    """A month as ``YYYY-MM`` (what ``<input type="month">`` sends): its first day."""

    def to_python(self, value: Any) -> date | None:
        text = str(value or "").strip()
        if not text:
            return None
        match = MONTH.fullmatch(text)
        if match:
            year, month = int(match[1]), int(match[2])
            if FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12:
                return date(year, month, 1)
        raise ValidationError(_("Give a month as YYYY-MM, e.g. 2027-03."), code="invalid")


class CalendarQuery(forms.Form):
    """The page's query: which institution, which month (both optional)."""

    institution = forms.IntegerField(
        label=_("Institution"), required=False, min_value=1, max_value=2**31 - 1
    )
    month = MonthField(label=_("Month"), required=False)


def handled_institutions(user) -> QuerySet[Institution]:
    """The institutions whose calendar ``user`` may see, the first one being the default."""
    institutions = Institution.objects.order_by("code", "pk")
    if is_site_staff(user):
        return institutions
    return institutions.filter(pk__in=handled_institution_ids(user))


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Day:
    """A column of the month: the date, whether the institution receives visitors, and why
    not."""

    date: date
    open: bool
    closed_reason: str
    today: bool


@dataclass(frozen=True)
class Places:
    """One facility on one day."""

    free: int
    places: int
    booked: int
    open: bool
    reduced: bool
    reason: str


@dataclass(frozen=True)
class FacilityRow:
    facility: Facility
    cells: list[Places]


@dataclass(frozen=True)
class VisitRow:
    """A visit and, per day of the month, whether its team is there."""

    visit: VisitRequest
    facilities: list[Facility]
    present: list[bool]

    @property
    def team(self) -> int:
        return self.visit.visitor_count


def month_visits(institution: Institution, first: date, last: date) -> list[VisitRequest]:
    """Approved and past visits whose confirmed period meets the month, with what the page
    shows of each prefetched (three queries whatever their number)."""
    return list(
        VisitRequest.objects.filter(
            institution=institution,
            status__in=SHOWN_STATUSES,
            confirmed_start__lte=last,
            confirmed_end__gte=first,
        )
        .select_related("requester")
        .prefetch_related(
            Prefetch(
                "facility_requests",
                queryset=VisitFacility.objects.select_related("facility"),
            ),
            "co_visitors",
        )
        .order_by("confirmed_start", "reference", "pk")
    )


def _confirmed(visit: VisitRequest, day: date) -> bool:
    """Is ``day`` within the visit's confirmed dates (a month's visits have them)?"""
    return cast("date", visit.confirmed_start) <= day <= cast("date", visit.confirmed_end)


def month_context(institution: Institution, first: date) -> dict[str, Any]:
    """Everything the month's table shows, in a constant number of queries."""
    last = next_month(first) - timedelta(days=1)
    facilities = list(
        Facility.objects.filter(institution=institution, is_active=True).order_by("name", "pk")
    )
    availability = Availability.of(institution, facilities, first, last)
    closed_reasons = dict(
        ClosedDay.objects.filter(institution=institution, date__range=(first, last)).values_list(
            "date", "reason"
        )
    )
    change_reasons = {
        (facility_id, day): reason
        for facility_id, day, reason in CapacityChange.objects.filter(
            facility__in=facilities, date__range=(first, last)
        ).values_list("facility_id", "date", "reason")
    }
    today = timezone.localdate()
    days = [
        Day(
            date=day,
            open=availability.calendar.is_open(day),
            closed_reason=closed_reasons.get(day, ""),
            today=day == today,
        )
        for day in days_between(first, last)
    ]
    facility_rows = [
        FacilityRow(
            facility,
            [
                Places(
                    free=availability.free(facility.pk, day.date),
                    places=availability.places(facility.pk, day.date),
                    booked=availability.taken(facility.pk, day.date),
                    open=day.open,
                    reduced=availability.reduced(facility, day.date),
                    reason=change_reasons.get((facility.pk, day.date), ""),
                )
                for day in days
            ],
        )
        for facility in facilities
    ]
    visit_rows = [
        VisitRow(
            visit,
            [row.facility for row in visit.facility_requests.all()],
            [day.open and _confirmed(visit, day.date) for day in days],
        )
        for visit in month_visits(institution, first, last)
    ]
    return {
        "institution": institution,
        "month": first,
        "days": days,
        "facility_rows": facility_rows,
        "visit_rows": visit_rows,
        "previous_month": previous_month(first) if first.year > FIRST_YEAR or first.month > 1
        else None,
        "next_month": next_month(first) if first.year < LAST_YEAR or first.month < 12 else None,
    }  # fmt: skip


class MonthCalendarView(LoginRequiredMixin, View):
    """``/visits/calendar/?institution=<id>&month=YYYY-MM``: one institution's month."""

    def get(self, request: HttpRequest) -> HttpResponse:
        institutions = handled_institutions(request.user)
        query = CalendarQuery(request.GET)
        if not query.is_valid():
            if not institutions.exists():
                raise Http404
            context: dict[str, Any] = {"query": query, "institutions": institutions}
            return render(request, TEMPLATE, context, status=400)
        chosen = query.cleaned_data["institution"]
        institution = institutions.filter(pk=chosen).first() if chosen else institutions.first()
        if institution is None:
            raise Http404
        first = query.cleaned_data["month"] or timezone.localdate().replace(day=1)
        context = month_context(institution, first)
        context.update(
            query=query,
            institutions=institutions,
            previous_url=self.url(institution, context["previous_month"]),
            next_url=self.url(institution, context["next_month"]),
            this_month_url=self.url(institution, timezone.localdate().replace(day=1)),
        )
        return render(request, TEMPLATE, context)

    @staticmethod
    def url(institution: Institution, month: date | None) -> str:
        if month is None:
            return ""
        params: dict[str, str | int] = {
            "institution": institution.pk,
            "month": f"{month.year:04d}-{month.month:02d}",
        }
        return f"{reverse('visits:calendar')}?{urlencode(params)}"
