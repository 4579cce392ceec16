"""The registry: institutions, their collections, facilities and specimens, and who works where.

The registry is public to read (like GRSciColl); writes are scoped per institution through
``Membership`` (see ``collections_app.scoping``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Now, Upper
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .search import KEY_LENGTH, search_key

weekdays_validator = RegexValidator(
    r"^(?!.*(.).*\1)[1-7]{0,7}$", _("List each ISO weekday (1 = Monday … 7 = Sunday) at most once.")
)


class TimeStamped(models.Model):
    """Creation and change times; ``updated_at`` drives incremental sync (``updated_after``)."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Institution(TimeStamped):
    code = models.CharField(
        _("code"), max_length=32, unique=True, help_text=_("Acronym, e.g. NHM or CSIC (MNCN).")
    )
    name = models.CharField(_("name"), max_length=255)
    #: ISO 3166-1 alpha-2 code (and XK, Kosovo); forms and the admin show the translated names.
    country = CountryField(_("country"), blank=True, db_index=True)
    address = models.TextField(_("address"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    ror_id = models.CharField(_("ROR id"), max_length=64, blank=True)
    grid_id = models.CharField(_("GRID id"), max_length=64, blank=True, db_index=True)
    cetaf_id = models.CharField(_("CETAF id"), max_length=255, blank=True)
    grscicoll_key = models.CharField(_("GRSciColl key"), max_length=64, blank=True)
    total_specimens = models.BigIntegerField(_("total specimens"), null=True, blank=True)
    has_dna_bank = models.BooleanField(_("DNA bank"), default=False)
    has_seed_bank = models.BooleanField(_("seed bank"), default=False)
    description = models.TextField(_("description"), blank=True)
    open_weekdays = models.CharField(
        _("open weekdays"),
        max_length=7,
        default="12345",
        validators=[weekdays_validator],
        help_text=_(
            "The days of the week visitors may come, as ISO numbers (1 = Monday … 7 = Sunday): "
            "12345 closes weekends. Closed dates are listed apart."
        ),
    )
    visit_max_working_days = models.PositiveSmallIntegerField(
        _("longest visit (working days)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("The most working days one visit may last."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        constraints = [
            models.UniqueConstraint(
                fields=["grscicoll_key"],
                condition=~models.Q(grscicoll_key=""),
                name="institution_grscicoll_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Collection(TimeStamped):
    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="collections",
        verbose_name=_("institution"),
    )
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    discipline = models.CharField(
        _("discipline"), max_length=120, blank=True, help_text=_("e.g. Entomology, Botany.")
    )
    taxonomic_scope = models.CharField(_("taxonomic scope"), max_length=255, blank=True)
    preservation_types = models.CharField(
        _("preservation types"),
        max_length=255,
        blank=True,
        help_text=_("Comma-separated, e.g. pinned, ethanol, herbarium sheet."),
    )
    specimen_count = models.BigIntegerField(_("specimens"), null=True, blank=True)
    digitised_count = models.BigIntegerField(_("digitised specimens"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    curators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="curated_collections",
        verbose_name=_("contact curators"),
    )
    accepts_loans = models.BooleanField(_("accepts loan requests"), default=True)
    accepts_visits = models.BooleanField(_("accepts visits"), default=True)
    accepts_digitisation = models.BooleanField(_("accepts digitisation requests"), default=True)
    accepting_requests = models.BooleanField(
        _("accepting requests"),
        default=True,
        help_text=_(
            "Untick to stop accepting new requests of every kind (e.g. while the collection "
            "moves): it leaves the request forms, and drafts that name it cannot be submitted. "
            "Requests already made are kept; a collection they refer to cannot be deleted."
        ),
    )
    loan_max_days = models.PositiveIntegerField(
        _("longest loan (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("The longest loan period a researcher may ask for; empty: no limit."),
    )
    loan_conditions = models.TextField(
        _("loan conditions"),
        blank=True,
        help_text=_(
            "Shown to researchers on the collection's page and beside the loan form, e.g. "
            "handling, packing, return and acknowledgement rules."
        ),
    )
    loan_permits_required = models.BooleanField(
        _("loans need permits"),
        default=False,
        help_text=_(
            "A loan from this collection is submitted only with at least one permit (CITES, "
            "Nagoya/ABS …), its number, issuing authority and document."
        ),
    )
    grscicoll_key = models.CharField(_("GRSciColl key"), max_length=64, blank=True)

    class Meta:
        ordering = ["institution__code", "code"]
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        constraints = [
            models.UniqueConstraint(fields=["institution", "code"], name="collection_code_unique"),
            models.UniqueConstraint(
                fields=["grscicoll_key"],
                condition=~models.Q(grscicoll_key=""),
                name="collection_grscicoll_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution.code}:{self.code} — {self.name}"

    @property
    def has_loan_terms(self) -> bool:
        return bool(self.loan_max_days or self.loan_conditions or self.loan_permits_required)


class Facility(TimeStamped):
    class Type(models.TextChoices):
        LAB = "lab", _("Laboratory")
        DIGITISATION = "digitisation", _("Digitisation")
        WORKSPACE = "workspace", _("Workspace")
        OTHER = "other", _("Other")

    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="facilities",
        verbose_name=_("institution"),
    )
    name = models.CharField(_("name"), max_length=255)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.LAB)
    description = models.TextField(_("description"), blank=True)
    daily_capacity = models.PositiveIntegerField(
        _("daily capacity"), default=1, help_text=_("Visitor places per day.")
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "Untick to stop accepting visits to it: it leaves the visit form and the public "
            "pages. A facility visits refer to cannot be deleted."
        ),
    )

    class Meta:
        ordering = ["institution__code", "name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="facility_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.institution.code}: {self.name}"


class Instrument(models.Model):
    """An instrument or service a facility offers (e.g. "SEM", "Sanger sequencing")."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="instruments", verbose_name=_("facility")
    )
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("instrument or service")
        verbose_name_plural = _("instruments and services")
        constraints = [
            models.UniqueConstraint(fields=["facility", "name"], name="instrument_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class SearchKeyField(models.CharField):
    """Text compared byte by byte: collation "C" on PostgreSQL (SQLite compares so already).

    Under a language collation a b-tree index can neither answer a prefix range nor give the
    order of ``ORDER BY``; under "C" one index on the column does both (see
    ``collections_app.search``). Set per database here, as SQLite has no "C" collation.
    """

    def db_parameters(self, connection) -> dict:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


#: The fields ``import_dwca`` writes from an archive, in the order it hashes them.
IMPORTED_FIELDS: tuple[str, ...] = (
    "occurrence_id",
    "scientific_name",
    "scientific_name_key",
    "family",
    "type_status",
    "country",
    "locality",
    "event_date",
    "preparations",
)


_IMPORTED = frozenset(IMPORTED_FIELDS)


def _touches_imported(fields: Iterable[str] | None) -> bool:
    """Whether a write of ``fields`` (None: every field) may change an imported value."""
    return fields is None or not _IMPORTED.isdisjoint(fields)


class SpecimenQuerySet(models.QuerySet["Specimen"]):
    """Bulk writes skip ``save()``: these keep the search key in step with the name anyway,
    and forget the import hash of rows whose imported values they may change."""

    def update(self, **kwargs: Any) -> int:
        if _touches_imported(kwargs):
            kwargs["import_hash"] = None
        return super().update(**kwargs)

    # The ignores below: django-stubs' plugin checks a queryset's methods again on the manager
    # that ``as_manager()`` makes, where the model is still a type variable.
    def bulk_create(  # type: ignore[override]
        self,
        objs: Iterable[Specimen],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Iterable[str] | None = None,
        unique_fields: Iterable[str] | None = None,
    ) -> list[Specimen]:
        objs = list(objs)
        for specimen in objs:
            specimen.scientific_name_key = search_key(specimen.scientific_name)
        return super().bulk_create(  # type: ignore[return-value]
            objs,  # type: ignore[arg-type]
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            update_conflicts=update_conflicts,
            update_fields=_with_search_key(update_fields),
            unique_fields=None if unique_fields is None else list(unique_fields),
        )

    def bulk_update(
        self, objs: Iterable[Specimen], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        objs = list(objs)
        fields = list(fields)
        if "scientific_name" in fields:
            for specimen in objs:
                specimen.scientific_name_key = search_key(specimen.scientific_name)
        if _touches_imported(fields):
            for specimen in objs:
                specimen.import_hash = None
            fields.append("import_hash")
        return super().bulk_update(
            objs,  # type: ignore[arg-type]
            _with_search_key(fields) or [],
            batch_size=batch_size,
        )


def _with_search_key(fields: Iterable[str] | None) -> list[str] | None:
    """``fields`` plus the search key when they write the scientific name."""
    if fields is None:
        return None
    fields = list(fields)
    if "scientific_name" not in fields or "scientific_name_key" in fields:
        return fields
    return [*fields, "scientific_name_key"]


class Specimen(TimeStamped):
    """One catalogued object. Millions of rows: every search goes through ``search``, whose
    terms and orderings are exactly what the indexes below answer."""

    collection = models.ForeignKey(
        Collection,
        on_delete=models.CASCADE,
        related_name="specimens",
        verbose_name=_("collection"),
        # Served by the (collection, catalog_number) constraint and the (collection, key) index.
        db_index=False,
    )
    catalog_number = models.CharField(_("catalogue number"), max_length=100)
    # Not indexed: nothing looks specimens up by it, and every index slows imports.
    occurrence_id = models.CharField(_("occurrence ID"), max_length=255, blank=True)
    scientific_name = models.CharField(_("scientific name"), max_length=255, blank=True)
    scientific_name_key = SearchKeyField(
        _("scientific name search key"),
        max_length=KEY_LENGTH,
        blank=True,
        default="",
        editable=False,
        help_text=_("The name folded for searching (lower case, no accents); kept on save."),
    )
    family = models.CharField(_("family"), max_length=100, blank=True)
    type_status = models.CharField(_("type status"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    locality = models.TextField(_("locality"), blank=True)
    event_date = models.CharField(
        _("event date"), max_length=64, blank=True, help_text=_("ISO 8601 date or interval.")
    )
    preparations = models.CharField(_("preparations"), max_length=255, blank=True)
    is_available = models.BooleanField(
        _("available"), default=True, help_text=_("Not on loan, not destroyed.")
    )
    # Both times default to the writing transaction's start in the database as well, for the
    # rows an import copies in without naming them (``dwca.loaders.postgres``): each batch's
    # rows then carry its own time, in commit order, as the ORM's would.
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_default=Now())
    # Indexed with the id below, which serves both ``updated_after`` and the sync order.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_default=Now())
    # What ``import_dwca`` last wrote (``dwca.rowhash``): a re-import compares this one number
    # instead of every column. Any other write of an imported field sets it to NULL ("compare
    # the values"), so a hash never hides a change made since (see ``SpecimenQuerySet``).
    import_hash = models.BigIntegerField(
        _("import hash"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Hash of the values the last import wrote; empty after any other edit."),
    )

    objects = SpecimenQuerySet.as_manager()

    class Meta:
        ordering = ["collection_id", "catalog_number"]
        verbose_name = _("specimen")
        verbose_name_plural = _("specimens")
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "catalog_number"], name="specimen_catalog_number_unique"
            )
        ]
        # Each index is equalities (or none) followed by an ordering of ``search.ORDERINGS``,
        # so a filtered, ordered page is one range read. Few on purpose: each one slows imports
        # (bench/README.md measures how much).
        indexes = [
            models.Index(Upper("catalog_number"), "id", name="specimen_catalog_upper_idx"),
            models.Index(fields=["scientific_name_key", "id"], name="specimen_name_key_idx"),
            models.Index(
                fields=["collection", "scientific_name_key", "id"],
                name="specimen_collection_name_idx",
            ),
            models.Index(
                Upper("family"), "scientific_name_key", "id", name="specimen_family_name_idx"
            ),
            models.Index(
                Upper("country"), "scientific_name_key", "id", name="specimen_country_name_idx"
            ),
            # "Carabidae from France": both are common, their combination may be rare, so
            # walking either index alone can read tens of thousands of rows for one page.
            models.Index(
                Upper("family"),
                Upper("country"),
                "scientific_name_key",
                "id",
                name="specimen_family_country_idx",
            ),
            # Types are a few percent of a catalogue, so partial indexes on them are small and
            # cheap to keep: one per combination researchers ask for (types of a family, of a
            # country), where walking one index and filtering by the other can read thousands.
            *(
                models.Index(
                    Upper("type_status"),
                    *columns,
                    "scientific_name_key",
                    "id",
                    name=name,
                    condition=~models.Q(type_status=""),
                )
                for name, columns in (
                    ("specimen_type_name_idx", ()),
                    ("specimen_type_family_idx", (Upper("family"),)),
                    ("specimen_type_country_idx", (Upper("country"),)),
                )
            ),
            models.Index(fields=["updated_at", "id"], name="specimen_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.catalog_number} {self.scientific_name}".strip()

    def save(self, *args, **kwargs) -> None:
        self.scientific_name_key = search_key(self.scientific_name)
        fields = kwargs.get("update_fields")
        if _touches_imported(fields):
            self.import_hash = None
        if fields is not None:
            fields = _with_search_key(list(fields)) or []
            if _touches_imported(fields):
                fields.append("import_hash")
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, on: date | None = None) -> MembershipQuerySet:
        """Memberships in force on ``on`` (today): not ended before it. ``ends_on`` is the
        member's last day, so the role holds through that day and not after."""
        day = on or timezone.localdate()
        return self.filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day))


class Membership(models.Model):
    """A user's role at an institution. Staff roles give scoped access to the admin.

    A member who leaves keeps their row with ``ends_on`` (their last day): from the next day
    ``collections_app.roles`` no longer counts it, so every face (admin, pages, API) stops
    showing them the institution's queue, while the row still says who worked there when.
    """

    class Role(models.TextChoices):
        CURATOR = "curator", _("Curator / collection manager")
        COORDINATOR = "coordinator", _("Coordinator")
        API_CLIENT = "api_client", _("API client (partner system)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("institution"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    ends_on = models.DateField(
        _("ends on"),
        null=True,
        blank=True,
        help_text=_("The member's last day in this role; empty while they stay."),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("end recorded by"),
        editable=False,
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["institution__code", "role", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "institution", "role"], name="membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.institution.code}"

    @property
    def has_ended(self) -> bool:
        """Past its last day (``ends_on``), as ``MembershipQuerySet.current`` counts it."""
        return self.ends_on is not None and self.ends_on < timezone.localdate()

    @property
    def state_display(self) -> str:
        """ "Current", "last day: …" or "left on …", as the admin and the profile list it."""
        if self.ends_on is None:
            return str(_("Current"))
        day = date_format(self.ends_on, "DATE_FORMAT")
        if self.has_ended:
            return str(_("Left on %(date)s") % {"date": day})
        return str(_("Last day: %(date)s") % {"date": day})
