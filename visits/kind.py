"""Visits, declared once: everything the shared core needs to know about them.

The core builds the API resource, the admin, the researcher pages, the reminders, the webhook
events and the notifications of visits from this descriptor (``elvis.workflow.kinds``); the
visits app adds its own calendar pages, feeds and availability.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from elvis.workflow.kinds import CURATORS, REQUESTER, Reminder, RequestKind, register
from notifications.services import Guest

from .admin import VisitRequestAdmin
from .api.filtersets import VisitFilters
from .api.serializers import VisitRequestSerializer
from .forms import VisitRequestEditor
from .ical import approval_attachment
from .models import VisitFacility, VisitRequest, VisitStatus
from .workflow import VISIT_WORKFLOW

if TYPE_CHECKING:
    from elvis.workflow.models import AccessRequestQuerySet

S = VisitStatus
VISITORS = "visitors"


def visitors(visit: VisitRequest) -> list[Any]:
    """The requester and the co-visitors: by their account when they have one, else by e-mail."""
    team = list(visit.co_visitors.all())
    accounts: dict[str, Any] = {}
    if team:
        same_address = Q()
        for member in team:
            same_address |= Q(email__iexact=member.email)
        accounts = {u.email.lower(): u for u in get_user_model().objects.filter(same_address)}
    return [
        visit.requester,
        *(
            accounts.get(c.email.lower())
            # A guest is written to in the language of the applicant who named them.
            or Guest(email=c.email, full_name=c.name, language=visit.requester.language)
            for c in team
        ),
    ]


def with_team_and_facilities(visits: AccessRequestQuerySet) -> AccessRequestQuerySet:
    return visits.prefetch_related(
        "co_visitors",
        Prefetch(
            "facility_requests",
            queryset=VisitFacility.objects.select_related("facility").prefetch_related(
                "instruments"
            ),
        ),
        "report",
    )


VISIT = register(
    RequestKind(
        name="visit",
        model=VisitRequest,
        workflow=VISIT_WORKFLOW,
        prefix="VISIT",
        accepts_flag="accepts_visits",
        ask=_("Request a visit"),
        description=_(
            "Collection visits: the team's application, its review, the booking of facility "
            "places, completion and the report."
        ),
        serializer=VisitRequestSerializer,
        editor=VisitRequestEditor,
        filters=VisitFilters,
        admin=VisitRequestAdmin,
        annotate=with_team_and_facilities,
        audiences={VISITORS: visitors},
        email_attachments=approval_attachment,
        extra_urls="visits.urls",
        reminders=(
            Reminder(
                "upcoming",
                field="confirmed_start",
                statuses=frozenset({S.APPROVED}),
                days_before=7,
                message=_("%(reference)s starts on %(date)s."),
                to=(VISITORS, CURATORS),
            ),
            Reminder(
                "report_due",
                field="completed_on",
                statuses=frozenset({S.COMPLETED}),
                days_after=14,
                message=_(
                    "%(reference)s was completed on %(date)s: please submit its report "
                    "(publications, datasets, specimens examined)."
                ),
                to=(REQUESTER,),
            ),
        ),
        event_phrases={
            "rescheduled": _("rescheduled"),
            "completed": _("completed"),
            "report_submitted": _("report submitted"),
            "upcoming": _("starts soon"),
            "report_due": _("report due"),
        },
        next_steps={
            S.APPROVED: _(
                "Approved: come on the confirmed dates; the calendar entry is attached to the "
                "approval e-mail."
            ),
            S.COMPLETED: _("Thank you for visiting: submit the report of what came of it."),
            S.CLOSED: _("The visit and its report are complete."),
        },
    )
)
