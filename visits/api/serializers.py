"""A visit request as the API shows it, and the requester's draft as the API accepts it.

The team (``co_visitors``) and the ``facilities`` wanted are nested lists that replace the
stored ones when sent (a co-visitor kept by e-mail address keeps their invitation and
confirmation); what the workflow writes (confirmed dates, completion, the report) is
read-only.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.orcid import normalize_orcid
from collections_app.models import Facility, Instrument
from elvis.api.fields import SummaryRelatedField
from elvis.api.requests.serializers import AccessRequestSerializer
from visits.models import CoVisitor, VisitFacility, VisitReport, VisitRequest
from visits.rules import duplicate_emails, period_errors, team_errors
from visits.team import replace_team

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CoVisitorSerializer(serializers.ModelSerializer):
    confirmed = serializers.SerializerMethodField(
        help_text=_("Whether the co-visitor confirmed through the e-mailed link.")
    )

    class Meta:
        model = CoVisitor
        fields = ("id", "name", "email", "orcid", "confirmed")

    def get_confirmed(self, co_visitor: CoVisitor) -> bool:
        return co_visitor.confirmed_at is not None

    def validate_orcid(self, value: str) -> str:
        return normalize_orcid(value) if value else value


class FacilitySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = ("id", "name", "type", "daily_capacity")
        read_only_fields = fields


class VisitFacilitySerializer(serializers.ModelSerializer):
    facility = SummaryRelatedField(
        summary=FacilitySummarySerializer,
        # Inactive ones too, so that choosing one says why it is refused (``team_errors``).
        queryset=Facility.objects.all(),
        help_text=_("A facility of the institution (its id when writing)."),
    )
    instruments = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Instrument.objects.all(),
        required=False,
        help_text=_("Ids of the facility's instruments or services needed."),
    )

    class Meta:
        model = VisitFacility
        fields = ("facility", "instruments")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        facility = attrs["facility"]
        foreign = [i.name for i in attrs.get("instruments", ()) if i.facility_id != facility.pk]
        if foreign:
            raise serializers.ValidationError(
                {"instruments": [_("Not offered by %(facility)s: %(names)s.")
                                 % {"facility": facility.name, "names": ", ".join(foreign)}]}
            )  # fmt: skip
        return attrs


class VisitReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitReport
        fields = ("publications", "datasets", "specimens_examined", "summary", "created_at")
        read_only_fields = fields


class VisitRequestSerializer(AccessRequestSerializer):
    """A collection visit: who comes, when, to which facilities, why, and what came of it."""

    replaced_lists = ("co_visitors", "facilities")

    co_visitors = CoVisitorSerializer(
        many=True, required=False, help_text=_("The team besides the requester.")
    )
    facilities = VisitFacilitySerializer(source="facility_requests", many=True, required=False)
    report = VisitReportSerializer(read_only=True, allow_null=True)

    class Meta:
        model = VisitRequest
        fields = (
            *AccessRequestSerializer.COMMON_FIELDS,
            "proposed_start",
            "proposed_end",
            "methods",
            "work_plan",
            "special_needs",
            "co_visitors",
            "facilities",
            "confirmed_start",
            "confirmed_end",
            "completed_on",
            "actual_days",
            "actual_visitors",
            "report",
            *AccessRequestSerializer.TRAIL_FIELDS,
        )

    def validate_proposed_start(self, value: date) -> date:
        if value < timezone.localdate():
            raise serializers.ValidationError(_("The visit cannot start in the past."))
        return value

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        attrs = super().to_internal_value(data)
        if "facility_requests" in attrs:
            attrs["facilities"] = attrs.pop("facility_requests")
        return attrs

    def kind_errors(self, attrs: dict[str, Any]) -> dict[str, list[StrOrPromise]]:
        institution = self._value(attrs, "institution")
        errors = period_errors(
            institution,
            self._value(attrs, "proposed_start"),
            self._value(attrs, "proposed_end"),
        )
        team = attrs.get("co_visitors")
        if team is None and self.instance is not None:
            team = [{"email": c.email} for c in self.instance.co_visitors.all()]
        team = team or []
        requester = self.instance.requester if self.instance else self.context["request"].user
        repeated = duplicate_emails(requester.email, [member["email"] for member in team])
        if repeated:
            errors["co_visitors"] = [
                _("Each visitor once: %(emails)s.") % {"emails": ", ".join(repeated)}
            ]
        rows = attrs.get("facilities")
        if rows is None and self.instance is not None:
            rows = [{"facility": r.facility} for r in self.instance.facility_requests.all()]
        facilities = [row["facility"] for row in rows or ()]
        problems = team_errors(institution, facilities, 1 + len(team))
        if len({f.pk for f in facilities}) != len(facilities):
            problems.append(_("List each facility once."))
        if problems:
            errors["facilities"] = problems
        return errors

    @staticmethod
    def _replace(request: VisitRequest, lists: dict[str, list[dict[str, Any]]]) -> None:
        if "co_visitors" in lists:
            replace_team(request, lists["co_visitors"])
        if "facilities" in lists:
            request.facility_requests.all().delete()
            for row in lists["facilities"]:
                wanted = VisitFacility.objects.create(visit=request, facility=row["facility"])
                wanted.instruments.set(row.get("instruments", ()))
