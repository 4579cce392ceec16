"""Loan reminders, run daily by Celery beat.

Each reminder carries a deduplication key (loan, due date, period), so it goes out once per due
date however often beat runs — after a restart, or with two schedulers by mistake — and a missed
day is caught up the next day.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from elvis.workflow import events
from notifications.services import notify
from notifications.sinks import institution_curators

from .models import OUT_STATUSES, LoanRequest

DUE_SOON_DAYS = 14
OVERDUE_REPEAT_DAYS = 7


def _remind(loan: LoanRequest, event: str, key: str, message: str) -> int:
    people = [loan.requester, *institution_curators(loan.institution_id)]
    with transaction.atomic():
        sent = notify(
            people,
            event,
            target=loan,
            context={"request": loan, "message": message, "url": loan.get_absolute_url()},
            dedupe_key=key,
        )
        events.emit_reminder(event, loan, message=message, dedupe_key=key)
    return len(sent)


@shared_task(name="loans.send_reminders")
def send_loan_reminders() -> dict[str, int]:
    """``loan.due_soon`` 14 days before the due date; ``loan.overdue`` the day after it and
    every 7 days while items are out."""
    today = timezone.localdate()
    counts = {"loan.due_soon": 0, "loan.overdue": 0}
    out = LoanRequest.objects.filter(status__in=OUT_STATUSES, due_date__isnull=False)
    for loan in out.filter(
        due_date__gte=today, due_date__lte=today + timedelta(days=DUE_SOON_DAYS)
    ).select_related("requester", "institution"):
        counts["loan.due_soon"] += _remind(
            loan,
            "loan.due_soon",
            f"loan.due_soon:{loan.pk}:{loan.due_date.isoformat()}",
            f"{loan.reference} is due back on {loan.due_date.isoformat()}.",
        )
    for loan in out.filter(due_date__lt=today).select_related("requester", "institution"):
        days_over = (today - loan.due_date).days
        period = (days_over - 1) // OVERDUE_REPEAT_DAYS
        counts["loan.overdue"] += _remind(
            loan,
            "loan.overdue",
            f"loan.overdue:{loan.pk}:{loan.due_date.isoformat()}:{period}",
            f"{loan.reference} was due back on {loan.due_date.isoformat()} "
            f"and is {days_over} day(s) overdue.",
        )
    return counts
