"""What is the visits' own in the curators' admin: the visit's sections, its team and
facilities, overlapping visits of the same researcher, the report, and the institution's
closed days and reduced-capacity days. The queue, the read-only change page, the action pages,
the messages and the attachments are the shared ones (``elvis.workflow.admin``).
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from collections_app.roles import handled_institution_ids, is_site_staff
from elvis.workflow.admin import AccessRequestAdmin, CollectionFilter, ReadOnlyInline

from .models import CapacityChange, ClosedDay, CoVisitor, VisitFacility, VisitRequest
from .rules import overlapping_visits


class CoVisitorInline(ReadOnlyInline):
    model = CoVisitor
    fields = ("name", "email", "orcid", "invited_at", "confirmed_at")


class FacilityInline(ReadOnlyInline):
    model = VisitFacility
    fields = ("facility", "instrument_names")
    related = ("facility",)

    @admin.display(description=_("instruments and services"))
    def instrument_names(self, row: VisitFacility) -> str:
        return ", ".join(i.name for i in row.instruments.all()) or "—"


class VisitRequestAdmin(AccessRequestAdmin):
    list_display = (
        *AccessRequestAdmin.list_display, "proposed_start", "confirmed_start", "confirmed_end",
    )  # fmt: skip
    list_filter = ("status", CollectionFilter)
    summary_fields = ("overlap_warning",)
    kind_fieldsets = (
        (
            _("Period and plan"),
            {
                "fields": (
                    "proposed_start",
                    "proposed_end",
                    "confirmed_start",
                    "confirmed_end",
                    "methods",
                    "work_plan",
                    "special_needs",
                )
            },
        ),
        (
            _("Completion and report"),
            {"fields": ("completed_on", "actual_days", "actual_visitors", "report_summary")},
        ),
    )
    kind_inlines = (CoVisitorInline, FacilityInline)

    @admin.display(description=_("other visits at the same time"))
    def overlap_warning(self, visit: VisitRequest) -> str:
        overlaps = overlapping_visits(visit)
        if not overlaps:
            return "—"
        return format_html_join(
            ", ", "{} ({} – {})", ((v.reference, v.start, v.end) for v in overlaps)
        )

    @admin.display(description=_("report"))
    def report_summary(self, visit: VisitRequest) -> str:
        report = getattr(visit, "report", None)
        if report is None:
            return "—"
        dois = ", ".join(p["doi"] for p in report.publications) or "—"
        return _(
            "%(n)d specimens examined; publications: %(dois)s; datasets: %(sets)s. %(text)s"
        ) % {
            "n": report.specimens_examined,
            "dois": dois,
            "sets": ", ".join(report.datasets) or "—",
            "text": report.summary,
        }


class InstitutionCalendarAdmin(admin.ModelAdmin):
    """Closed days and reduced-capacity days of the institutions one handles (scoped)."""

    date_hierarchy = "date"
    institution_path = "institution"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        rows = super().get_queryset(request)
        if is_site_staff(request.user):
            return rows
        return rows.filter(
            **{f"{self.institution_path}__in": handled_institution_ids(request.user)}
        )

    def _handles(self, request: HttpRequest) -> bool:
        return is_site_staff(request.user) or bool(handled_institution_ids(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._handles(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._handles(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if not is_site_staff(request.user):
            ids = handled_institution_ids(request.user)
            lookup = "pk__in" if db_field.name == "institution" else "institution_id__in"
            # A foreign key's form field is a ModelChoiceField with a queryset.
            field = cast("forms.ModelChoiceField", field)
            field.queryset = cast("QuerySet", field.queryset).filter(**{lookup: ids})
        return field


@admin.register(ClosedDay)
class ClosedDayAdmin(InstitutionCalendarAdmin):
    list_display = ("date", "institution", "reason")
    list_filter = ("institution",)


@admin.register(CapacityChange)
class CapacityChangeAdmin(InstitutionCalendarAdmin):
    list_display = ("date", "facility", "capacity", "reason")
    list_filter = ("facility__institution",)
    institution_path = "facility__institution"
