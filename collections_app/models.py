"""The registry: institutions, their collections, facilities and specimens, and who works where.

The registry is public to read (like GRSciColl); writes are scoped per institution through
``Membership`` (see ``collections_app.scoping``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

country_code_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Use the two-letter ISO 3166-1 code, e.g. GB or DE.")
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
    country = models.CharField(
        _("country"), max_length=2, blank=True, validators=[country_code_validator], db_index=True
    )
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
    is_active = models.BooleanField(_("active"), default=True)

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


class Specimen(TimeStamped):
    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="specimens", verbose_name=_("collection")
    )
    catalog_number = models.CharField(_("catalogue number"), max_length=100)
    occurrence_id = models.CharField(_("occurrence ID"), max_length=255, blank=True, db_index=True)
    scientific_name = models.CharField(_("scientific name"), max_length=255, blank=True)
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

    class Meta:
        ordering = ["collection_id", "catalog_number"]
        verbose_name = _("specimen")
        verbose_name_plural = _("specimens")
        constraints = [
            models.UniqueConstraint(
                fields=["collection", "catalog_number"], name="specimen_catalog_number_unique"
            )
        ]
        indexes = [
            models.Index(fields=["catalog_number"], name="specimen_catalog_idx"),
            models.Index(fields=["scientific_name"], name="specimen_sciname_idx"),
            models.Index(fields=["family"], name="specimen_family_idx"),
            models.Index(fields=["type_status"], name="specimen_type_status_idx"),
            models.Index(fields=["country"], name="specimen_country_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.catalog_number} {self.scientific_name}".strip()


class Membership(models.Model):
    """A user's role at an institution. Staff roles give scoped access to the admin."""

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
