"""Registry resources as the API shows them, related objects as ``{id, code, name}`` summaries.

Writes name the owner by id (``institution_id``, ``collection_id``); reads show the summary.
"""

from __future__ import annotations

from copy import copy
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import BaseConstraint, Model, UniqueConstraint
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from collections_app.countries import country_code_shape, validate_country_code
from collections_app.models import (
    Collection,
    Facility,
    Institution,
    Instrument,
    Specimen,
)
from collections_app.scoping import owner_institution_id

from .rows import row_of


class InstitutionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ("id", "code", "name")
        read_only_fields = fields


class CollectionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Collection
        fields = ("id", "code", "name")
        read_only_fields = fields


class CountryCodeField(serializers.CharField):
    """An ISO 3166-1 alpha-2 code (or XK) that django-countries knows; ``gb`` is accepted and
    stored as ``GB``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [country_code_shape, validate_country_code])
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data).upper()


class RegistrySerializer(serializers.ModelSerializer):
    """Base of the writable registry serializers.

    DRF's generated uniqueness validators are replaced by the model's own constraints, checked
    on the object as it would be saved: that covers conditional constraints and partial updates
    alike, and reports a duplicate on the field a person would change (the constraint's last
    field, e.g. ``code`` for (institution, code)) instead of a 500 from the database.
    """

    #: The field naming the owner (an institution or a collection); None for an institution.
    owner_field: ClassVar[str | None] = None

    def get_validators(self) -> list:
        return []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model: type[Model] = self.Meta.model
        candidate = copy(self.instance) if self.instance is not None else model()
        concrete = {field.name for field in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(candidate, name, value)
        errors: dict[str, list[str]] = {}
        for constraint in model._meta.constraints:
            try:
                constraint.validate(model, candidate)
            except DjangoValidationError as exc:
                self._add_constraint_error(errors, constraint, candidate, exc)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    @staticmethod
    def _add_constraint_error(
        errors: dict[str, list[str]],
        constraint: BaseConstraint,
        candidate: Model,
        exc: DjangoValidationError,
    ) -> None:
        if isinstance(constraint, UniqueConstraint) and constraint.fields:
            message = candidate.unique_error_message(type(candidate), constraint.fields)
            errors.setdefault(constraint.fields[-1], []).extend(message.messages)
        else:
            errors.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).extend(exc.messages)

    def target_institution_id(self) -> int | None:
        """The institution the validated object will belong to (None for a new institution)."""
        if self.owner_field is None:
            return self.instance.pk if self.instance is not None else None
        owner = self.validated_data.get(self.owner_field)
        if owner is None and self.instance is not None:
            owner = getattr(self.instance, self.owner_field)
        return owner_institution_id(owner) if owner is not None else None


class InstitutionSerializer(RegistrySerializer):
    country = CountryCodeField(help_text=_("Two-letter ISO 3166-1 code, e.g. GB."))
    country_name = serializers.CharField(
        source="country.name",
        read_only=True,
        help_text=_(
            "The country's name in the response's language (Accept-Language: en, fr or de); "
            "empty when no country is recorded."
        ),
    )
    collection_count = serializers.IntegerField(read_only=True)
    facility_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Institution
        fields = (
            "id",
            "code",
            "name",
            "country",
            "country_name",
            "address",
            "city",
            "contact_email",
            "website",
            "ror_id",
            "grid_id",
            "cetaf_id",
            "grscicoll_key",
            "total_specimens",
            "has_dna_bank",
            "has_seed_bank",
            "description",
            "collection_count",
            "facility_count",
            "created_at",
            "updated_at",
        )


def _institution_id_field() -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(
        source="institution",
        queryset=Institution.objects.all(),
        write_only=True,
        help_text=_("Id of the owning institution (you must coordinate it)."),
    )


class CollectionSerializer(RegistrySerializer):
    owner_field = "institution"
    institution = InstitutionSummarySerializer(read_only=True)
    institution_id = _institution_id_field()

    class Meta:
        model = Collection
        fields = (
            "id",
            "institution",
            "institution_id",
            "code",
            "name",
            "discipline",
            "taxonomic_scope",
            "preservation_types",
            "specimen_count",
            "digitised_count",
            "description",
            "contact_email",
            "accepts_loans",
            "accepts_visits",
            "accepts_digitisation",
            "accepting_requests",
            "loan_max_days",
            "loan_conditions",
            "loan_permits_required",
            "grscicoll_key",
            "created_at",
            "updated_at",
        )


class InstrumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instrument
        fields = ("name", "description")


class FacilitySerializer(RegistrySerializer):
    """A facility with its instruments; writing ``instruments`` replaces the whole list."""

    owner_field = "institution"
    institution = InstitutionSummarySerializer(read_only=True)
    institution_id = _institution_id_field()
    instruments = InstrumentSerializer(many=True, required=False)

    class Meta:
        model = Facility
        fields = (
            "id",
            "institution",
            "institution_id",
            "name",
            "type",
            "description",
            "daily_capacity",
            "is_active",
            "instruments",
            "created_at",
            "updated_at",
        )

    def validate_instruments(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = [item["name"] for item in value]
        if len(names) != len(set(names)):
            raise serializers.ValidationError(_("Each instrument name may appear only once."))
        return value

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Facility:
        instruments = validated_data.pop("instruments", [])
        facility = super().create(validated_data)
        self._replace_instruments(facility, instruments)
        return facility

    @transaction.atomic
    def update(self, instance: Facility, validated_data: dict[str, Any]) -> Facility:
        instruments = validated_data.pop("instruments", None)
        facility = super().update(instance, validated_data)
        if instruments is not None:
            self._replace_instruments(facility, instruments)
        return facility

    @staticmethod
    def _replace_instruments(facility: Facility, instruments: list[dict[str, Any]]) -> None:
        """Match by name, so an instrument listed again keeps its row (and its id)."""
        facility.instruments.exclude(name__in=[item["name"] for item in instruments]).delete()
        for item in instruments:
            Instrument.objects.update_or_create(
                facility=facility,
                name=item["name"],
                defaults={"description": item.get("description", "")},
            )


class SpecimenSerializer(RegistrySerializer):
    """A catalogued specimen: its collection as a summary, and its institution's code."""

    owner_field = "collection"
    collection = CollectionSummarySerializer(read_only=True)
    collection_id = serializers.PrimaryKeyRelatedField(
        source="collection",
        queryset=Collection.objects.all(),
        write_only=True,
        help_text=_("Id of the collection holding the specimen."),
    )
    institution_code = serializers.CharField(source="collection.institution.code", read_only=True)

    class Meta:
        model = Specimen
        fields = (
            "id",
            "collection",
            "collection_id",
            "institution_code",
            "catalog_number",
            "occurrence_id",
            "scientific_name",
            "family",
            "type_status",
            "country",
            "locality",
            "event_date",
            "preparations",
            "is_available",
            "created_at",
            "updated_at",
        )

    @cached_property
    def _zone(self) -> tzinfo:
        """The time zone the times are written in, looked up once per page: a lookup reads
        two thread-locals, a third of a row's time when made for each row."""
        return timezone.get_current_timezone()

    @cached_property
    def _written_times(self) -> dict[datetime, str]:
        """Each time written on this page, by its value: an import gives all the specimens of
        a batch the same ``created_at`` and ``updated_at``, so a page writes a handful of times
        a hundred times over (bounded by the page: the serializer lives for one)."""
        return {}

    def _time(self, moment: datetime) -> str:
        written = self._written_times.get(moment)
        if written is None:
            written = self._written_times[moment] = _iso(moment, self._zone)
        return written

    # Written out by hand: a page of 50 specimens through DRF's generic field loop cost
    # several times the SQL that fetched it. The fields, their formats and the schema stay the
    # declared ones (tests/test_api_specimens_lean_representation.py holds them equal). Lists
    # hand over rows (``rows.specimen_rows``), a detail its model instance.
    def to_representation(self, instance: Any) -> dict[str, Any]:
        row = row_of(instance) if isinstance(instance, Specimen) else instance
        time = self._time
        return {
            "id": row.id,
            "collection": {
                "id": row.collection_id,
                "code": row.collection__code,
                "name": row.collection__name,
            },
            "institution_code": row.collection__institution__code,
            "catalog_number": row.catalog_number,
            "occurrence_id": row.occurrence_id,
            "scientific_name": row.scientific_name,
            "family": row.family,
            "type_status": row.type_status,
            "country": row.country,
            "locality": row.locality,
            "event_date": row.event_date,
            "preparations": row.preparations,
            "is_available": row.is_available,
            "created_at": time(row.created_at),
            "updated_at": time(row.updated_at),
        }


def _iso(moment: datetime, zone: tzinfo) -> str:
    """An aware datetime as DRF's ``DateTimeField`` writes it (ISO 8601, in the current time
    zone, ``Z`` for UTC) without its per-value settings lookups."""
    text = moment.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


#: The longest period one availability request covers, in days (a year, leap day included).
MAX_AVAILABILITY_DAYS = 366


class AvailabilityQuerySerializer(serializers.Serializer):
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD``: both days included, at most a year.

    ``from`` is a Python keyword, so the fields are declared in ``get_fields``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateField(help_text=_("The first day (YYYY-MM-DD).")),
            "to": serializers.DateField(help_text=_("The last day (YYYY-MM-DD), included.")),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["from"], attrs["to"]
        if end < start:
            raise serializers.ValidationError({"to": [_("The last day is before the first.")]})
        if (end - start).days + 1 > MAX_AVAILABILITY_DAYS:
            raise serializers.ValidationError(
                {"to": [_("Ask for at most %(n)d days at a time.") % {"n": MAX_AVAILABILITY_DAYS}]}
            )
        return attrs


class FacilityDaySerializer(serializers.Serializer):
    """A facility's places on one day. ``open`` is false on the institution's closed days
    (closed weekdays and closed dates) and on days the facility has no places."""

    facility = serializers.IntegerField(help_text=_("The facility's id."))
    date = serializers.DateField()
    open = serializers.BooleanField()
    capacity = serializers.IntegerField(help_text=_("Visitor places that day."))
    booked = serializers.IntegerField(help_text=_("Places held by approved visits."))
    free = serializers.IntegerField(help_text=_("Places still free: capacity − booked, ≥ 0."))


class FacilityAvailabilitySerializer(serializers.Serializer):
    facility = serializers.IntegerField(help_text=_("The facility's id."))
    days = FacilityDaySerializer(many=True)
