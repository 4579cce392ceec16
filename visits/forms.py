"""What the request form of a visit adds to the core's (``elvis.workflow.pages``): the proposed
period, methods and work plan, the team, and the facilities wanted with their instruments.

``VisitRequestEditor`` is named by the visit kind (``visits/kind.py``); the core's pages build,
validate and save it with the shared fields. Its "Check availability" button is one of the
core's redisplay buttons (``RequestEditor.redisplay_buttons``): it shows the free places of the
facilities chosen over the proposed days without saving anything, and without JavaScript.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from collections_app.models import Facility, Instrument
from elvis.workflow.pages.editor import RequestEditor, RequestForm
from elvis.workflow.pages.forms import OptionalValidationMixin

from .capacity import Availability
from .models import CoVisitor, VisitFacility, VisitRequest
from .rules import duplicate_emails, overlapping_visits, period_errors

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CONTENT_FIELDS = (
    "proposed_start",
    "proposed_end",
    "methods",
    "work_plan",
    "special_needs",
)


class VisitRequestForm(RequestForm):
    class Meta(RequestForm.Meta):
        model = VisitRequest
        fields = [*RequestForm.Meta.fields, *CONTENT_FIELDS]
        widgets = {
            **RequestForm.Meta.widgets,
            "methods": forms.Textarea(attrs={"rows": 3}),
            "work_plan": forms.Textarea(attrs={"rows": 4}),
            "special_needs": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "collections": _("Only collections that receive visitors are listed."),
            "purpose": _("What you will study, and why it needs a visit."),
            "proposed_end": _("Counted in working days: weekends and closed days do not count."),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        errors = period_errors(
            self.instance.institution, data.get("proposed_start"), data.get("proposed_end")
        )
        for field, messages in errors.items():
            self.add_error(field, messages)
        return data


class CoVisitorForm(OptionalValidationMixin, forms.ModelForm):
    class Meta:
        model = CoVisitor
        fields = ["name", "email", "orcid"]
        help_texts = {"email": _("They confirm by a link we e-mail when you submit.")}

    def save(self, commit: bool = True) -> CoVisitor:
        """A changed address is a new invitee: the old link stops working (new token), and the
        new address is invited at the next submit and confirms for itself."""
        member = super().save(commit=False)
        if member.pk and "email" in self.changed_data:
            member.token = uuid.uuid4()
            member.invited_at = member.confirmed_at = None
        if commit:
            member.save()
        return member


class BaseCoVisitorFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        emails = [
            form.cleaned_data["email"]
            for form in self.forms
            if form.cleaned_data.get("email") and not form.cleaned_data.get("DELETE")
        ]
        repeated = duplicate_emails(self.instance.requester.email, emails)
        if repeated:
            raise forms.ValidationError(
                _("Each visitor once: %(emails)s.") % {"emails": ", ".join(repeated)}
            )


CoVisitorFormSet = forms.inlineformset_factory(
    VisitRequest,
    CoVisitor,
    form=CoVisitorForm,
    formset=BaseCoVisitorFormSet,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
)


class FacilityChoiceForm(OptionalValidationMixin, forms.ModelForm):
    """A facility of the institution and which of its instruments or services are needed."""

    class Meta:
        model = VisitFacility
        fields = ["facility", "instruments"]
        widgets = {"instruments": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, institution, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facilities = Facility.objects.filter(institution=institution, is_active=True)
        facility = cast("forms.ModelChoiceField", self.fields["facility"])
        facility.queryset = facilities
        # A lambda for the choice labels (the stubs declare a method; Django reads either).
        facility.label_from_instance = lambda f: (  # type: ignore[method-assign,assignment]
            f"{f.name} ({f.get_type_display()}, {f.daily_capacity} places a day)"
        )
        instruments = cast("forms.ModelMultipleChoiceField", self.fields["instruments"])
        instruments.queryset = Instrument.objects.filter(facility__in=facilities).select_related(
            "facility"
        )
        instruments.label_from_instance = lambda i: f"{i.facility.name}: {i.name}"  # type: ignore[method-assign,assignment]
        instruments.help_text = _("Only those of the facility chosen above.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        facility: Any = data.get("facility")
        foreign = [i.name for i in data.get("instruments") or () if i.facility_id != facility.pk] \
            if facility else []  # fmt: skip
        if foreign:
            self.add_error(
                "instruments",
                _("Not offered by %(facility)s: %(names)s.")
                % {"facility": facility.name, "names": ", ".join(foreign)},
            )
        return data


FacilityFormSet = forms.inlineformset_factory(
    VisitRequest,
    VisitFacility,
    form=FacilityChoiceForm,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
)


#: The form's button that shows the free places without saving (a core redisplay button).
CHECK_AVAILABILITY = "_check_availability"
#: The longest period the form's availability table covers, in calendar days.
MAX_CHECK_DAYS = 366


@dataclass(frozen=True)
class FacilityPlaces:
    """One facility on one day: free places out of how many, reduced that day, too few for
    the team."""

    free: int
    places: int
    reduced: bool
    short: bool


@dataclass(frozen=True)
class DayAvailability:
    """One day of the proposed period: open or not, and each facility's places."""

    day: date
    open: bool
    #: One per facility, in the table's column order.
    cells: list[FacilityPlaces]

    @property
    def short(self) -> bool:
        return self.open and any(cell.short for cell in self.cells)


@dataclass(frozen=True)
class AvailabilityCheck:
    """What the "Check availability" button shows: why it cannot say yet, or the table."""

    team: int
    problems: list[StrOrPromise] = dataclass_field(default_factory=list)
    facilities: list[Facility] = dataclass_field(default_factory=list)
    days: list[DayAvailability] = dataclass_field(default_factory=list)

    @property
    def first_day(self) -> date | None:
        return self.days[0].day if self.days else None

    @property
    def last_day(self) -> date | None:
        return self.days[-1].day if self.days else None

    @property
    def short_days(self) -> list[date]:
        return [row.day for row in self.days if row.short]


class VisitRequestEditor(RequestEditor):
    """The visit's form: the core's, with the period and plan, the team and the facilities."""

    form_class = VisitRequestForm
    instance: VisitRequest
    redisplay_buttons = (CHECK_AVAILABILITY,)

    def extra_context(self, *, pressed: str | None) -> dict[str, Any]:
        context: dict[str, Any] = {"check_availability_button": CHECK_AVAILABILITY}
        if pressed == CHECK_AVAILABILITY:
            context["availability"] = self.check_availability()
        return context

    def check_availability(self) -> AvailabilityCheck:
        """Free places per chosen facility on each proposed day, from what is typed (saved or
        not), so the researcher can pick dates that fit before submitting."""
        team = 1 + sum(1 for row in self.co_visitors.forms if _kept(row) and _filled(row))
        start, end = _typed(self.form, "proposed_start"), _typed(self.form, "proposed_end")
        problems: list[StrOrPromise] = []
        if start is None or end is None:
            problems.append(_("Give the first and the last day proposed."))
        elif end < start:
            problems.append(_("The last day is before the first."))
        elif (end - start).days >= MAX_CHECK_DAYS:
            problems.append(_("Check at most %(n)d days at a time.") % {"n": MAX_CHECK_DAYS})
        ids = {
            str(row["facility"].value())
            for row in self.facilities.forms
            if _kept(row) and row["facility"].value()
        }
        facilities = list(
            Facility.objects.filter(
                institution=self.institution,
                is_active=True,
                pk__in=[pk for pk in ids if pk.isdigit()],
            ).order_by("name", "pk")
        )
        if not facilities:
            problems.append(_("Choose at least one facility."))
        if problems:
            return AvailabilityCheck(team=team, problems=problems)
        availability = Availability.of(self.institution, facilities, start, end)
        days = []
        for day in availability.calendar_days():
            cells = [
                FacilityPlaces(
                    free=availability.free(f.pk, day),
                    places=availability.places(f.pk, day),
                    reduced=availability.reduced(f, day),
                    short=availability.free(f.pk, day) < team,
                )
                for f in facilities
            ]
            days.append(DayAvailability(day, availability.calendar.is_open(day), cells))
        return AvailabilityCheck(team=team, facilities=facilities, days=days)

    def extra_formsets(
        self, *, rows: dict, validate: bool
    ) -> dict[str, forms.BaseModelFormSet[Any, Any]]:
        self.co_visitors = CoVisitorFormSet(
            **rows, instance=self.instance, prefix="visitors", form_kwargs={"validate": validate}
        )
        self.facilities = FacilityFormSet(
            **rows,
            instance=self.instance,
            prefix="facilities",
            queryset=VisitFacility.objects.select_related("facility"),
            form_kwargs={"validate": validate, "institution": self.institution},
        )
        return {"facilities": self.facilities, "visitors": self.co_visitors}

    @classmethod
    def timeline_context(cls, access_request: VisitRequest, *, history: list) -> dict[str, Any]:
        return {
            "co_visitors": access_request.co_visitors.all(),
            "facility_rows": access_request.facility_requests.all(),
            "overlaps": overlapping_visits(access_request),
            "report": getattr(access_request, "report", None),
        }


def _typed(form: forms.BaseForm, name: str) -> Any:
    """A field's typed value cleaned on its own, or ``None``: the redisplayed form is not
    validated, and one bad field must not hide what the others say."""
    try:
        return form.fields[name].clean(form[name].value())
    except ValidationError:
        return None


def _kept(row: forms.BaseForm) -> bool:
    """A formset row not ticked for deletion."""
    return "DELETE" not in row.fields or not row["DELETE"].value()


def _filled(row: forms.BaseForm) -> bool:
    return any(str(row[name].value() or "").strip() for name in ("name", "email"))
