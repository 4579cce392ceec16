"""Collection visits: the request, its team and facilities, its report, and the facility
calendar that keeps approvals within capacity.

The visit's ``status`` and its confirmed dates are written by the workflow (``visits.workflow``)
through ``elvis.workflow.service.perform`` only; places are booked and freed by
``visits.booking`` inside that same transaction.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.orcid import validate_orcid
from elvis.workflow import models as core
from elvis.workflow.table import status_choices

VisitStatus = status_choices(
    "VisitStatus",
    ("completed", _("Completed")),
    ("closed", _("Closed")),
)

#: Places are held for a visit in these states (approval books, leaving them frees).
BOOKED_STATUSES = (VisitStatus.APPROVED,)


class VisitRequest(core.AccessRequest):
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=VisitStatus.choices,
        default=VisitStatus.DRAFT,
        editable=False,
        db_index=True,
    )
    # Null only while a draft (``elvis.workflow.completeness``): a submission needs both.
    proposed_start = models.DateField(_("first day proposed"), null=True)
    proposed_end = models.DateField(_("last day proposed"), null=True)
    methods = models.TextField(_("methods"), blank=True)
    work_plan = models.TextField(_("work plan"), blank=True)
    special_needs = models.TextField(
        _("special needs"),
        blank=True,
        help_text=_("Accessibility needs, hazardous material you will handle or bring, …"),
    )

    confirmed_start = models.DateField(_("first day"), null=True, blank=True, editable=False)
    confirmed_end = models.DateField(_("last day"), null=True, blank=True, editable=False)
    #: RFC 5545 SEQUENCE of the visit's calendar event: raised whenever the booking changes.
    sequence = models.PositiveIntegerField(_("calendar revision"), default=0, editable=False)
    completed_on = models.DateField(_("completed on"), null=True, blank=True, editable=False)
    actual_days = models.PositiveSmallIntegerField(
        _("actual days"), null=True, blank=True, editable=False
    )
    actual_visitors = models.PositiveSmallIntegerField(
        _("actual visitors"), null=True, blank=True, editable=False
    )

    class Meta(core.AccessRequest.Meta):
        verbose_name = _("visit request")
        verbose_name_plural = _("visit requests")
        indexes = [
            *core.AccessRequest.Meta.indexes,
            models.Index(fields=["status", "confirmed_start"], name="visit_start_idx"),
        ]

    @property
    def start(self):
        """The first day: confirmed once approved, else proposed."""
        return self.confirmed_start or self.proposed_start

    @property
    def end(self):
        return self.confirmed_end or self.proposed_end

    @property
    def visitor_count(self) -> int:
        """The requester and every co-visitor: each needs a place on every day."""
        return 1 + len(self.co_visitors.all())


class VisitRequestCollection(core.RequestCollection):
    """A collection the visit request asks for (protected: see ``core.RequestCollection``)."""

    # The former automatic many-to-many table, kept with its rows (a state-only migration).
    request = models.ForeignKey(
        VisitRequest, on_delete=models.CASCADE, related_name="+", db_column="visitrequest_id"
    )

    class Meta(core.RequestCollection.Meta):
        db_table = "visits_visitrequest_collections"
        verbose_name = _("visit request")
        verbose_name_plural = _("visit requests")


class CoVisitor(models.Model):
    """A member of the visiting team besides the requester; confirms by an e-mailed link."""

    visit = models.ForeignKey(
        VisitRequest, on_delete=models.CASCADE, related_name="co_visitors", verbose_name=_("visit")
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    orcid = models.CharField(_("ORCID iD"), max_length=19, blank=True, validators=[validate_orcid])
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("co-visitor")
        verbose_name_plural = _("co-visitors")
        constraints = [
            models.UniqueConstraint("visit", Lower("email"), name="covisitor_email_once_per_visit")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class VisitFacility(models.Model):
    """A facility the visit needs, and which of its instruments or services."""

    visit = models.ForeignKey(
        VisitRequest,
        on_delete=models.CASCADE,
        related_name="facility_requests",
        verbose_name=_("visit"),
    )
    facility = models.ForeignKey(
        "collections_app.Facility",
        on_delete=models.PROTECT,
        related_name="visit_requests",
        verbose_name=_("facility"),
    )
    instruments = models.ManyToManyField(
        "collections_app.Instrument",
        blank=True,
        through="VisitFacilityInstrument",
        verbose_name=_("instruments and services"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("facility wanted")
        verbose_name_plural = _("facilities wanted")
        constraints = [
            models.UniqueConstraint(fields=["visit", "facility"], name="visit_facility_once")
        ]

    def __str__(self) -> str:
        return str(self.facility)


class VisitFacilityInstrument(models.Model):
    """An instrument or service a visit asks for at a facility: the row behind
    ``VisitFacility.instruments``, explicit so that Django's deletion collector sees it. An
    instrument a visit names cannot be deleted (the admin shows its protected page, an inline
    delete is a form error), as collections requests name cannot: no visit silently loses what
    it asked for. Deleting the visit's facility row still takes its rows along."""

    # The former automatic many-to-many table, kept with its rows (a state-only migration).
    visit_facility = models.ForeignKey(
        VisitFacility, on_delete=models.CASCADE, related_name="+", db_column="visitfacility_id"
    )
    instrument = models.ForeignKey(
        "collections_app.Instrument",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("instrument or service"),
    )

    class Meta:
        db_table = "visits_visitfacility_instruments"
        unique_together = [("visit_facility", "instrument")]
        verbose_name = _("instrument or service wanted")
        verbose_name_plural = _("instruments and services wanted")

    def __str__(self) -> str:
        return str(self.instrument)


class VisitReport(models.Model):
    """What the visit produced, recorded by the requester after completion (one per visit)."""

    visit = models.OneToOneField(
        VisitRequest, on_delete=models.CASCADE, related_name="report", verbose_name=_("visit")
    )
    publications = models.JSONField(
        _("publications"), default=list, blank=True, help_text=_("Each with its DOI.")
    )
    datasets = models.JSONField(_("datasets"), default=list, blank=True)
    specimens_examined = models.PositiveIntegerField(_("specimens examined"), default=0)
    summary = models.TextField(_("summary"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit report")
        verbose_name_plural = _("visit reports")

    def __str__(self) -> str:
        return f"{self.visit.reference}: report"


class ClosedDay(models.Model):
    """A date the institution receives no visitors (a holiday, a move, an inventory)."""

    institution = models.ForeignKey(
        "collections_app.Institution",
        on_delete=models.CASCADE,
        related_name="closed_days",
        verbose_name=_("institution"),
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("closed day")
        verbose_name_plural = _("closed days")
        constraints = [
            models.UniqueConstraint(fields=["institution", "date"], name="closed_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.reason}".strip()

    def clean(self) -> None:
        if self.institution_id and self.date:
            _refuse_if_booked(
                Booking.objects.filter(visit__institution_id=self.institution_id, date=self.date),
                0,
            )


class CapacityChange(models.Model):
    """A facility's places on one date, when not its daily capacity (0: closed that day)."""

    facility = models.ForeignKey(
        "collections_app.Facility",
        on_delete=models.CASCADE,
        related_name="capacity_changes",
        verbose_name=_("facility"),
    )
    date = models.DateField(_("date"))
    capacity = models.PositiveIntegerField(_("places"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("reduced-capacity day")
        verbose_name_plural = _("reduced-capacity days")
        constraints = [
            models.UniqueConstraint(fields=["facility", "date"], name="capacity_change_once")
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()}: {self.capacity}"

    def clean(self) -> None:
        if self.facility_id and self.date and self.capacity is not None:
            _refuse_if_booked(
                Booking.objects.filter(facility_id=self.facility_id, date=self.date),
                self.capacity,
            )


def _refuse_if_booked(bookings: models.QuerySet, places: int) -> None:
    """A day cannot shrink below the places approved visits hold on it: change those first."""
    by_facility: dict[int, int] = {}
    visits: set[str] = set()
    for facility_id, n, reference in bookings.values_list(
        "facility_id", "places", "visit__reference"
    ):
        by_facility[facility_id] = by_facility.get(facility_id, 0) + n
        visits.add(reference)
    if any(n > places for n in by_facility.values()):
        raise ValidationError(
            _("Approved visits hold places on that day: %(visits)s. Change their dates first.")
            % {"visits": ", ".join(sorted(visits))}
        )


class FacilityDay(models.Model):
    """The booking ledger: a facility's places and booked places on one day.

    The check constraint is the invariant that cannot be overbooked: approvals raise ``booked``
    with a conditional UPDATE on this row, so two approvals for the last place serialise on it
    and the database refuses whatever would exceed ``capacity``.
    """

    facility = models.ForeignKey(
        "collections_app.Facility",
        on_delete=models.CASCADE,
        related_name="days",
        verbose_name=_("facility"),
    )
    date = models.DateField(_("date"))
    capacity = models.PositiveIntegerField(_("places"))
    booked = models.PositiveIntegerField(_("booked"), default=0)

    class Meta:
        ordering = ["facility_id", "date"]
        verbose_name = _("facility day")
        verbose_name_plural = _("facility days")
        constraints = [
            models.UniqueConstraint(fields=["facility", "date"], name="facility_day_once"),
            models.CheckConstraint(
                condition=Q(booked__gte=0) & Q(booked__lte=F("capacity")),
                name="facility_day_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.date.isoformat()}: {self.booked}/{self.capacity}"


class Booking(models.Model):
    """The places one approved visit holds on one facility-day (what freeing gives back)."""

    visit = models.ForeignKey(
        VisitRequest, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("visit")
    )
    facility = models.ForeignKey(
        "collections_app.Facility",
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("facility"),
    )
    date = models.DateField(_("date"))
    places = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["date", "facility_id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(fields=["visit", "facility", "date"], name="booking_once"),
        ]
        indexes = [models.Index(fields=["facility", "date"], name="booking_facility_day_idx")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.facility_id} {self.date.isoformat()}: {self.places}"


class CalendarFeed(models.Model):
    """A private, revocable iCalendar subscription: its token is the only credential."""

    class Scope(models.TextChoices):
        INSTITUTION = "institution", _("institution")
        FACILITY = "facility", _("facility")
        RESEARCHER = "researcher", _("my visits")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=_("owner"),
    )
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    institution = models.ForeignKey(
        "collections_app.Institution",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("institution"),
    )
    facility = models.ForeignKey(
        "collections_app.Facility",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    if TYPE_CHECKING:
        #: May it be used now (set on the rows of the user's feed list).
        usable: bool

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.get_scope_display()} ({self.owner})"


class VisitHistory(core.HistoryEntry):
    request = models.ForeignKey(
        VisitRequest, on_delete=models.CASCADE, related_name="history", verbose_name=_("visit")
    )

    class Meta(core.HistoryEntry.Meta):
        verbose_name = _("visit history entry")
        verbose_name_plural = _("visit history")


class VisitComment(core.Comment):
    request = models.ForeignKey(
        VisitRequest, on_delete=models.CASCADE, related_name="comments", verbose_name=_("visit")
    )


class VisitAttachment(core.Attachment):
    request = models.ForeignKey(
        VisitRequest, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("visit")
    )
