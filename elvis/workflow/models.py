"""Abstract bases every request kind builds on, and the reference counter.

A kind (e.g. ``loans.LoanRequest``) subclasses ``AccessRequest`` and declares its ``workflow``
table and ``reference_prefix``; its history, comments and attachments subclass the bases here
and add the foreign key to their request.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_app.models import Membership

from .table import CURATOR, REQUESTER

if TYPE_CHECKING:
    from .table import Workflow

# Roles at the request's institution that act as its curators (an API client acts for its
# institution with curator rights).
STAFF_ROLES = (Membership.Role.CURATOR, Membership.Role.COORDINATOR, Membership.Role.API_CLIENT)


def staff_institution_ids(user) -> set[int]:
    """Institutions whose requests ``user`` handles (cached on the user object per request)."""
    from collections_app.scoping import institution_ids

    return institution_ids(user, STAFF_ROLES)


class AccessRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> AccessRequestQuerySet:
        """The one visibility rule: own requests, and requests to one's institutions.

        Used by pages, admin and API alike; anything outside it is answered with 404.
        """
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        if user.is_superuser or user.is_staff:
            return self
        return self.filter(Q(requester=user) | Q(institution_id__in=staff_institution_ids(user)))

    def for_institution_staff(self, user) -> AccessRequestQuerySet:
        """The curator queue: requests to the user's institutions only (not their own asks)."""
        if user.is_superuser or user.is_staff:
            return self
        return self.filter(institution_id__in=staff_institution_ids(user))


class AccessRequest(models.Model):
    """What a researcher asks for; ``status`` is written by ``workflow.service.perform`` only."""

    workflow: ClassVar[Workflow]
    reference_prefix: ClassVar[str]

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        verbose_name=_("requester"),
    )
    institution = models.ForeignKey(
        "collections_app.Institution",
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        verbose_name=_("institution"),
    )
    collections = models.ManyToManyField(
        "collections_app.Collection", related_name="%(class)ss", verbose_name=_("collections")
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose and justification"))
    status = models.CharField(_("status"), max_length=32, default="draft", editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["institution", "status"], name="%(app_label)s_%(class)s_inst"),
            models.Index(fields=["requester", "status"], name="%(app_label)s_%(class)s_req"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = ReferenceCounter.allocate(self.reference_prefix)
        super().save(*args, **kwargs)

    def actor_roles(self, user) -> set[str]:
        """The roles ``user`` holds towards this request (see ``workflow.table``)."""
        roles: set[str] = set()
        if not (user and user.is_authenticated and user.is_active):
            return roles
        if user.pk == self.requester_id:
            roles.add(REQUESTER)
        if user.is_superuser or self.institution_id in staff_institution_ids(user):
            roles.add(CURATOR)
        return roles

    def allowed_actions(self, user) -> list[str]:
        return self.workflow.allowed_from(self.status, self.actor_roles(user))

    @property
    def is_editable_draft(self) -> bool:
        """Requesters edit the request's content only while it is a draft or sent back."""
        return self.status in ("draft", "changes_requested")


class ImmutableRow(models.Model):
    """A row that is written once: audit trails must not be edited or deleted in place."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("History rows are immutable."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        raise ValidationError(_("History rows are immutable."))


class HistoryEntry(ImmutableRow):
    """One state change: from, to, action, actor, time, comment, and the action's data."""

    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from"), max_length=32)
    to_status = models.CharField(_("to"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"


class Comment(models.Model):
    """A message on a request's thread between the requester and the institution's staff."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


def attachment_path(instance: Attachment, filename: str) -> str:
    """Storage name: the kind and request, and a random name (never the uploader's)."""
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"attachments/{instance._meta.app_label}/{instance.request_id}/{uuid.uuid4().hex}{ext}"


class Attachment(models.Model):
    """A document (PDF or image) on a request, stored under MEDIA_ROOT (outside the web root)
    and served only through a view that checks the request's visibility."""

    file = models.FileField(_("file"), max_length=255, upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class ReferenceCounter(models.Model):
    """Last number handed out per prefix and year, for references such as LOAN-2026-000042.

    Allocation locks the counter row (``select_for_update``) inside the caller's transaction, so
    concurrent requests get distinct, gap-free numbers; a rolled-back creation releases its number.
    """

    prefix = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="reference_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"

    @classmethod
    def allocate(cls, prefix: str, year: int | None = None) -> str:
        year = year or timezone.now().year
        with transaction.atomic():
            cls.objects.get_or_create(prefix=prefix, year=year)
            counter = cls.objects.select_for_update().get(prefix=prefix, year=year)
            counter.last_value += 1
            counter.save(update_fields=["last_value"])
        return f"{prefix}-{year}-{counter.last_value:06d}"
