"""What makes a visit receivable: its period, its team and its facilities.

One set of rules for every face: the researcher's form and the API report them as field errors
while a draft is edited, ``submit`` refuses a visit that breaks them, and ``approve`` checks the
confirmed period with the same ``period_errors``.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from collections_app.models import Institution

from .capacity import working_days
from .models import BOOKED_STATUSES, VisitRequest, VisitStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: A period is refused without counting its days when it spans more calendar days than this
#: many per working day allowed (a week per working day, closures included).
CALENDAR_DAYS_PER_WORKING_DAY = 7


def period_errors(
    institution: Institution,
    start: date | None,
    end: date | None,
    *,
    start_field: str = "proposed_start",
    end_field: str = "proposed_end",
) -> dict[str, list[StrOrPromise]]:
    """End before start, a start in the past, too many working days, or none at all."""
    if start is None or end is None:
        return {}
    if end < start:
        return {end_field: [_("The last day is before the first.")]}
    if start < timezone.localdate():
        return {start_field: [_("The visit cannot start in the past.")]}
    longest = institution.visit_max_working_days
    too_long = _(
        "A visit to %(institution)s lasts at most %(max)d working days; this period has %(n)s."
    )
    span = (end - start).days + 1
    if span > longest * CALENDAR_DAYS_PER_WORKING_DAY:
        return {end_field: [too_long % {"institution": institution.code, "max": longest,
                                        "n": _("more")}]}  # fmt: skip
    days = working_days(institution, start, end)
    if not days:
        return {
            start_field: [
                _("%(institution)s receives no visitors on any day from %(start)s to %(end)s.")
                % {"institution": institution.code, "start": start, "end": end}
            ]
        }
    if len(days) > longest:
        return {end_field: [too_long % {"institution": institution.code, "max": longest,
                                        "n": len(days)}]}  # fmt: skip
    return {}


def team_errors(institution: Institution, facilities, visitors: int) -> list[StrOrPromise]:
    """Facilities of another institution, not receiving visitors now, or smaller than the team
    on every day."""
    errors: list[StrOrPromise] = []
    for facility in facilities:
        if facility.institution_id != institution.pk:
            errors.append(
                _("%(facility)s is not a facility of %(institution)s.")
                % {"facility": facility.name, "institution": institution.code}
            )
        elif not facility.is_active:
            errors.append(
                _("%(facility)s is not accepting visits at the moment.")
                % {"facility": facility.name}
            )
        elif visitors > facility.daily_capacity:
            errors.append(
                _("%(facility)s holds at most %(n)d visitors a day; the team has %(m)d.")
                % {"facility": facility.name, "n": facility.daily_capacity, "m": visitors}
            )
    return errors


def duplicate_emails(requester_email: str, emails: list[str]) -> list[str]:
    """Co-visitors' addresses given twice, or the requester's own."""
    seen = {requester_email.lower()}
    repeated = []
    for email in emails:
        key = email.strip().lower()
        if key in seen:
            repeated.append(email)
        seen.add(key)
    return repeated


def submission_errors(visit: VisitRequest) -> dict[str, list[StrOrPromise]]:
    """Everything that must hold before the institution sees the visit."""
    errors: dict[str, list[StrOrPromise]] = {}
    if not visit.collections.exists():
        errors["collections"] = [_("Choose the collection(s) you want to visit.")]
    rows = list(visit.facility_requests.select_related("facility").prefetch_related("instruments"))
    if not rows:
        errors["facilities"] = [_("Choose at least one facility (a workspace or a lab).")]
    problems = team_errors(visit.institution, [row.facility for row in rows], visit.visitor_count)
    for row in rows:
        foreign = [i.name for i in row.instruments.all() if i.facility_id != row.facility_id]
        if foreign:
            problems.append(
                _("Not offered by %(facility)s: %(names)s.")
                % {"facility": row.facility.name, "names": ", ".join(foreign)}
            )
    if problems:
        errors.setdefault("facilities", []).extend(problems)
    repeated = duplicate_emails(visit.requester.email, [c.email for c in visit.co_visitors.all()])
    if repeated:
        errors["co_visitors"] = [
            _("Each visitor once: %(emails)s.") % {"emails": ", ".join(repeated)}
        ]
    errors.update(period_errors(visit.institution, visit.proposed_start, visit.proposed_end))
    return errors


def overlapping_visits(visit: VisitRequest) -> QuerySet[VisitRequest]:
    """The requester's other live visits whose periods meet this one's (allowed, but the
    curator should know)."""
    live = (VisitStatus.SUBMITTED, VisitStatus.UNDER_REVIEW, *BOOKED_STATUSES)
    start, end = visit.start, visit.end
    if start is None or end is None:
        return VisitRequest.objects.none()
    return (
        VisitRequest.objects.filter(requester_id=visit.requester_id, status__in=live)
        .exclude(pk=visit.pk)
        .filter(
            Q(confirmed_start__isnull=False, confirmed_start__lte=end, confirmed_end__gte=start)
            | Q(confirmed_start__isnull=True, proposed_start__lte=end, proposed_end__gte=start)
        )
        .order_by("proposed_start")
    )
