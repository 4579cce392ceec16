"""Virtual access: digitisation on demand. The request, its items and their captures, the
delivery package and its private download links.

The request's ``status`` and approval fields are written by the workflow
(``virtual_access.workflow``) through ``elvis.workflow.service.perform`` only; the items'
and captures' processing state by the pipeline's tasks (``virtual_access.tasks``), each step
claimed by compare-and-set so that a task delivered twice does its work once.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from elvis.workflow import models as core
from elvis.workflow.table import status_choices

DigitisationStatus = status_choices(
    "DigitisationStatus",
    ("in_progress", _("In progress")),
    ("delivered", _("Delivered")),
    ("closed", _("Closed")),
)


class Licence(models.TextChoices):
    CC0 = "CC0-1.0", _("CC0 1.0 (public domain dedication)")
    CC_BY = "CC-BY-4.0", _("CC BY 4.0 (attribution)")

    @property
    def url(self) -> str:
        return {
            "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
            "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
        }[self.value]


class PackageStatus(models.TextChoices):
    NONE = "none", _("not started")
    BUILDING = "building", _("building")
    BUILT = "built", _("built")
    FAILED = "failed", _("failed")


def package_path(instance: DigitisationRequest, filename: str) -> str:
    return f"packages/{instance.pk}/{uuid.uuid4().hex}.zip"


class DigitisationRequest(core.AccessRequest):
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=DigitisationStatus.choices,
        default=DigitisationStatus.DRAFT,
        editable=False,
        db_index=True,
    )
    wants_images = models.BooleanField(_("2D images"), default=True)
    min_resolution_ppi = models.PositiveIntegerField(
        _("minimum resolution (ppi)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(20000)],
        help_text=_(
            "Pixels per inch on the specimen, e.g. 600. Empty: the institution's standard."
        ),
    )
    wants_labels = models.BooleanField(_("label images"), default=False)
    other_outputs = models.TextField(
        _("other outputs"), blank=True, help_text=_("3D models, CT scans or anything else.")
    )
    metadata_wanted = models.TextField(
        _("metadata wanted"),
        blank=True,
        help_text=_("Which specimen data should come with the images, e.g. georeferences."),
    )
    licence = models.CharField(
        _("licence"), max_length=16, choices=Licence.choices, default=Licence.CC_BY
    )
    publish_to = models.CharField(
        _("will be published at"),
        max_length=255,
        blank=True,
        help_text=_("Where the data will be published, e.g. GBIF, Zenodo."),
    )

    cost_currency = models.CharField(_("currency"), max_length=3, blank=True, editable=False)
    cost_amount = models.DecimalField(
        _("cost estimate"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    staff_hours = models.DecimalField(
        _("staff hours"), max_digits=7, decimal_places=1, null=True, blank=True, editable=False
    )
    planned_delivery = models.DateField(
        _("planned delivery"), null=True, blank=True, editable=False
    )
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True, editable=False)

    package = models.FileField(
        _("delivery package"), upload_to=package_path, max_length=255, blank=True, editable=False
    )
    package_status = models.CharField(
        _("package"),
        max_length=10,
        choices=PackageStatus.choices,
        default=PackageStatus.NONE,
        editable=False,
    )
    package_size = models.PositiveBigIntegerField(
        _("package size (bytes)"), null=True, blank=True, editable=False
    )
    package_sha256 = models.CharField(
        _("package SHA-256"), max_length=64, blank=True, editable=False
    )
    package_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: The package is built from this time on (the quiet period after the last capture).
    package_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    package_error = models.TextField(_("package error"), blank=True, editable=False)

    class Meta(core.AccessRequest.Meta):
        verbose_name = _("digitisation request")
        verbose_name_plural = _("digitisation requests")
        # The shared indexes, named within PostgreSQL's and Django's 30 characters.
        indexes = core.list_indexes("dig_request")


class DigitisationRequestCollection(core.RequestCollection):
    """A collection the digitisation request asks for (see ``core.RequestCollection``)."""

    # The former automatic many-to-many table, kept with its rows (a state-only migration).
    request = models.ForeignKey(
        DigitisationRequest,
        on_delete=models.CASCADE,
        related_name="+",
        db_column="digitisationrequest_id",
    )

    class Meta(core.RequestCollection.Meta):
        db_table = "virtual_access_digitisationrequest_collections"
        verbose_name = _("digitisation request")
        verbose_name_plural = _("digitisation requests")


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    CAPTURED = "captured", _("captured")
    PROCESSED = "processed", _("processed")
    FAILED = "failed", _("failed")


class DigitisationItemQuerySet(core.RequestItemQuerySet):
    def outstanding(self) -> DigitisationItemQuerySet:
        """Items whose images are not processed yet (what captures may still be added to)."""
        return self.exclude(status=ItemStatus.PROCESSED)


class DigitisationItem(core.RequestItem):
    """A specimen or a described lot to image, and how far its images are."""

    request = models.ForeignKey(
        DigitisationRequest,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("digitisation request"),
    )
    status = models.CharField(
        _("imaging"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PENDING
    )
    failure_reason = models.TextField(_("why it failed"), blank=True)
    mids_level = models.PositiveSmallIntegerField(
        _("MIDS level"),
        null=True,
        blank=True,
        help_text=_("Minimum Information about a Digital Specimen reached, 0–3."),
    )

    objects = DigitisationItemQuerySet.as_manager()  # type: ignore[misc]  # as LoanRequest's

    class Meta(core.RequestItem.Meta):
        verbose_name = _("item to digitise")
        verbose_name_plural = _("items to digitise")
        constraints = [
            *core.RequestItem.Meta.constraints,
            models.UniqueConstraint(
                fields=["request", "specimen"],
                condition=Q(specimen__isnull=False),
                name="digitisation_item_specimen_once",
            ),
        ]


class CaptureStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    PROCESSING = "processing", _("processing")
    PROCESSED = "processed", _("processed")
    FAILED = "failed", _("failed")


def capture_path(instance: Capture, filename: str) -> str:
    """Masters under the request, by a random name (never the uploader's)."""
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"captures/{instance.item.request_id}/{uuid.uuid4().hex}{ext}"


class Capture(models.Model):
    """One image file of an item (a master as the imaging station made it), and what the
    pipeline found in it and made of it."""

    item = models.ForeignKey(
        DigitisationItem, on_delete=models.CASCADE, related_name="captures", verbose_name=_("item")
    )
    file = models.FileField(_("master file"), upload_to=capture_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    status = models.CharField(
        _("processing"), max_length=10, choices=CaptureStatus.choices, default=CaptureStatus.PENDING
    )
    error = models.TextField(_("why it was refused"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    format = models.CharField(_("format"), max_length=16, blank=True)
    media_type = models.CharField(_("media type"), max_length=64, blank=True)
    width = models.PositiveIntegerField(_("width (px)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height (px)"), null=True, blank=True)
    colour_space = models.CharField(_("colour space"), max_length=32, blank=True)
    dpi = models.PositiveIntegerField(_("resolution (dpi)"), null=True, blank=True)
    exif = models.JSONField(_("camera data (EXIF)"), default=dict, blank=True)
    web = models.FileField(_("web derivative"), max_length=255, blank=True)
    thumbnail = models.FileField(_("thumbnail"), max_length=255, blank=True)
    #: Dominant colours, most covering first: [{"hex", "share", "hue", "saturation", "lightness"}].
    colours = models.JSONField(_("dominant colours"), default=list, blank=True)
    hue = models.FloatField(_("hue"), null=True, blank=True, db_index=True)
    lightness = models.FloatField(_("lightness"), null=True, blank=True)

    if TYPE_CHECKING:
        # Set on the rows of the images page.
        band: str
        alt: str

    class Meta:
        ordering = ["item_id", "id"]
        verbose_name = _("capture")
        verbose_name_plural = _("captures")
        indexes = [models.Index(fields=["status", "created_at"], name="capture_queue_idx")]

    def __str__(self) -> str:
        return self.original_name


class DownloadLink(models.Model):
    """A private, expiring, revocable link to a request's package; each use is logged."""

    request = models.ForeignKey(
        DigitisationRequest,
        on_delete=models.CASCADE,
        related_name="download_links",
        verbose_name=_("digitisation request"),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    if TYPE_CHECKING:
        expired: bool  # set on the rows of the timeline's list of links

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("download link")
        verbose_name_plural = _("download links")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.created_at:%Y-%m-%d}"


class Download(models.Model):
    """One use of a download link: when, from where, by what."""

    link = models.ForeignKey(
        DownloadLink, on_delete=models.CASCADE, related_name="downloads", verbose_name=_("link")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("download")
        verbose_name_plural = _("downloads")

    def __str__(self) -> str:
        return f"{self.link_id} {self.at:%Y-%m-%d %H:%M}"


class DigitisationHistory(core.HistoryEntry):
    request = models.ForeignKey(
        DigitisationRequest,
        on_delete=models.CASCADE,
        related_name="history",
        verbose_name=_("digitisation request"),
    )

    class Meta(core.HistoryEntry.Meta):
        verbose_name = _("digitisation history entry")
        verbose_name_plural = _("digitisation history")


class DigitisationComment(core.Comment):
    request = models.ForeignKey(
        DigitisationRequest,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("digitisation request"),
    )


class DigitisationAttachment(core.Attachment):
    request = models.ForeignKey(
        DigitisationRequest,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("digitisation request"),
    )
