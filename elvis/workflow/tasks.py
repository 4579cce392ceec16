"""The reminders of every registered kind, in one daily beat run.

Each kind declares its reminders (``RequestKind.reminders``); this task walks them. Each
reminder carries a deduplication key (kind, request, date, period), so it goes out once per date
however often beat runs — after a restart, or with two schedulers by mistake — and a missed
day is caught up the next day.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import events
from .kinds import all_kinds


@shared_task(name="workflow.send_reminders")
def send_reminders() -> dict[str, int]:
    """Send what is due today; returns how many requests each reminder event went out for."""
    today = timezone.localdate()
    counts: dict[str, int] = {}
    for kind in all_kinds():
        requests = kind.model.objects.select_related("requester", "institution")
        for reminder in kind.reminders:
            name = f"{kind.name}.{reminder.event}"
            counts[name] = 0
            for request, key, message in reminder.due(requests, today):
                with transaction.atomic():
                    sent = events.emit_reminder(
                        name, request, message=message, dedupe_key=f"{name}:{key}", to=reminder.to
                    )
                counts[name] += sent
    return counts
