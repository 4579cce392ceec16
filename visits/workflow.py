"""The visit's transition table: the common actions, approval that books the facilities,
rescheduling, completion and the report.

Each action's input is validated by its form (shared by API, admin and pages); its ``apply``
makes the visit's own changes on the locked row inside ``perform``'s transaction, so a booking
that fails rolls the whole approval back.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elvis.workflow.common import COMMON
from elvis.workflow.table import CURATOR, REQUESTER, transition

from . import booking, team
from .capacity import working_days
from .models import VisitReport, VisitRequest, VisitStatus
from .rules import period_errors, submission_errors

DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.IGNORECASE)


class PeriodForm(forms.Form):
    """The confirmed period; approval defaults it to the proposal."""

    confirmed_start = forms.DateField(label=_("First day"), required=False)
    confirmed_end = forms.DateField(label=_("Last day"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        start, end = data.get("confirmed_start"), data.get("confirmed_end")
        if start and end and end < start:
            self.add_error("confirmed_end", _("The last day is before the first."))
        return data


class ReschedulePeriodForm(PeriodForm):
    confirmed_start = forms.DateField(label=_("First day"))
    confirmed_end = forms.DateField(label=_("Last day"))


class CompleteForm(forms.Form):
    actual_days = forms.IntegerField(label=_("Days the visit actually took"), min_value=1)
    actual_visitors = forms.IntegerField(label=_("Visitors who came"), min_value=1)


class LinesField(forms.CharField):
    """One entry per line (blank lines ignored)."""

    widget = forms.Textarea(attrs={"rows": 3})

    # A CharField whose cleaned value is its lines, not the text.
    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""  # "" already for no value
        return [line.strip() for line in text.splitlines() if line.strip()]


class ReportForm(forms.Form):
    publications = LinesField(
        label=_("Publications"),
        required=False,
        help_text=_("One per line, each with its DOI (10.…)."),
    )
    datasets = LinesField(
        label=_("Datasets"), required=False, help_text=_("One per line: a DOI or a URL.")
    )
    specimens_examined = forms.IntegerField(
        label=_("Specimens examined"), min_value=0, max_value=10**9
    )
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
        max_length=20000,
    )  # fmt: skip

    def clean_publications(self) -> list[dict[str, str]]:
        entries = []
        for line in self.cleaned_data["publications"]:
            match = DOI.search(line)
            if not match:
                raise ValidationError(
                    _("Give the DOI (10.…) of each publication: “%(line)s” has none.")
                    % {"line": line[:80]}
                )
            entries.append({"citation": line, "doi": match.group(1).rstrip(".,;").lower()})
        return entries

    def clean_datasets(self) -> list[str]:
        datasets = self.cleaned_data["datasets"]
        for line in datasets:
            if not (DOI.search(line) or line.startswith(("https://", "http://"))):
                raise ValidationError(
                    _("“%(line)s” is neither a DOI nor a web address.") % {"line": line[:80]}
                )
        return datasets


def check_complete(visit: VisitRequest, actor: Any, data: dict[str, Any]) -> None:
    """A visit can be submitted when it says where, when, who and why (``visits.rules``); then
    the co-visitors not invited yet get their confirmation link, in the same transaction."""
    errors = submission_errors(visit)
    if errors:
        raise ValidationError(errors)
    team.invite_co_visitors(visit)


def _period(visit: VisitRequest, start: date, end: date) -> list[date]:
    """The working days of a period the institution can receive, or field errors."""
    errors = period_errors(
        visit.institution, start, end, start_field="confirmed_start", end_field="confirmed_end"
    )
    if errors:
        raise ValidationError(errors)
    return working_days(visit.institution, start, end)


def approve(visit: VisitRequest, actor: Any, data: dict[str, Any]) -> None:
    """Fix the confirmed dates (the proposal unless given) and book every facility."""
    start = data.get("confirmed_start") or visit.proposed_start
    end = data.get("confirmed_end") or visit.proposed_end
    # A submitted visit has its proposed dates (``perform`` checked them at submission).
    assert start is not None and end is not None
    days = _period(visit, start, end)
    booking.book(visit, days)
    visit.confirmed_start, visit.confirmed_end = start, end
    visit.sequence += 1


def reschedule(visit: VisitRequest, actor: Any, data: dict[str, Any]) -> None:
    """Move or shorten an approved visit: its places are freed and booked again."""
    days = _period(visit, data["confirmed_start"], data["confirmed_end"])
    booking.release(visit)
    booking.book(visit, days)
    visit.confirmed_start, visit.confirmed_end = data["confirmed_start"], data["confirmed_end"]
    visit.sequence += 1


def free_places(visit: VisitRequest, actor: Any, data: dict[str, Any]) -> None:
    """Withdrawal or cancellation gives the places back (there are none before approval)."""
    if booking.release(visit):
        visit.sequence += 1


def complete(visit: VisitRequest, actor: Any, data: dict[str, Any]) -> None:
    """Record what happened; places after today are given back."""
    today = timezone.localdate()
    if visit.confirmed_start and visit.confirmed_start > today:
        raise ValidationError(
            {"actual_days": [_("The visit starts on %(d)s: complete it after it has begun.")
                             % {"d": visit.confirmed_start.isoformat()}]}
        )  # fmt: skip
    if visit.confirmed_start and visit.confirmed_end:
        longest = (visit.confirmed_end - visit.confirmed_start).days + 1
        if data["actual_days"] > longest:
            raise ValidationError(
                {"actual_days": [_("The confirmed period has only %(n)d days.") % {"n": longest}]}
            )
    booking.release(visit, after=today)
    visit.actual_days = data["actual_days"]
    visit.actual_visitors = data["actual_visitors"]
    visit.completed_on = today
    visit.sequence += 1


def submit_report(visit: VisitRequest, actor: Any, data: dict[str, Any]) -> None:
    if VisitReport.objects.filter(visit=visit).exists():
        raise ValidationError({"summary": [_("This visit has a report already.")]})
    VisitReport.objects.create(
        visit=visit,
        publications=data["publications"],
        datasets=data["datasets"],
        specimens_examined=data["specimens_examined"],
        summary=data["summary"],
        submitted_by=actor,
    )


S = VisitStatus
VISIT_WORKFLOW = COMMON.extend(
    "visit",
    COMMON.replace("submit", apply=check_complete),
    COMMON.replace(
        "approve", form=PeriodForm, apply=approve,
        fields=("confirmed_start", "confirmed_end", "sequence"),
    ),
    COMMON.replace("withdraw", apply=free_places, fields=("sequence",)),
    COMMON.replace("cancel", apply=free_places, fields=("sequence",)),
    transition(
        "reschedule", {S.APPROVED}, S.APPROVED, {CURATOR}, event="rescheduled",
        label=_("Change the dates"), form=ReschedulePeriodForm, apply=reschedule,
        fields=("confirmed_start", "confirmed_end", "sequence"),
    ),
    transition(
        "complete", {S.APPROVED}, S.COMPLETED, {CURATOR}, event="completed",
        label=_("Record as completed"), form=CompleteForm, apply=complete,
        fields=("actual_days", "actual_visitors", "completed_on", "sequence"),
    ),
    transition(
        "submit_report", {S.COMPLETED}, S.CLOSED, {REQUESTER}, event="report_submitted",
        label=_("Submit the report"), form=ReportForm, apply=submit_report,
    ),
)  # fmt: skip
