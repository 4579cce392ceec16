"""Abstract bases every request kind builds on, and the reference counter.

A kind's model (e.g. ``loans.LoanRequest``) subclasses ``AccessRequest``; its history,
comments, attachments and items subclass the bases here and add the foreign key to their
request. What else the core needs of the kind (its table, reference prefix …) is declared once
in the kind's ``RequestKind`` (``elvis.workflow.kinds``), which ``request.kind`` finds.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_app.roles import handled_institution_ids, is_site_staff

from .actors import Viewer
from .kinds import RequestKind, kind_of

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager

    from .table import Workflow

#: A request reaches its institution at its first submission; until then it is the
#: requester's own (lists, detail, admin, webhooks, notifications).
SENT = Q(submitted_at__isnull=False)


class AccessRequestQuerySet(models.QuerySet):
    def visible_to(self, user) -> AccessRequestQuerySet:
        """The one visibility rule: one's own requests, and the submitted requests to the
        institutions one handles (site staff: every submitted request).

        Used by pages, admin and API alike; anything outside it is answered with 404.
        """
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        staff = is_site_staff(user)
        handled = () if staff else sorted(handled_institution_ids(user))
        return self.visible_in(user.pk, staff=staff, institution_ids=handled)

    def visible_in(
        self, user_id: int, *, staff: bool, institution_ids: Sequence[int]
    ) -> AccessRequestQuerySet:
        """``visible_to``'s rule from what it reads of the user: its id, whether it is site
        staff, the institutions it handles (a list compiled once binds these)."""
        queue = SENT if staff else SENT & Q(institution_id__in=institution_ids)
        return self.filter(Q(requester_id=user_id) | queue)

    def in_queue_of(self, user) -> AccessRequestQuerySet:
        """The institution side's queue: submitted requests to the institutions ``user``
        handles (site staff: all submitted requests), not the user's own asks."""
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(self._queue_filter(user))

    @staticmethod
    def _queue_filter(user) -> Q:
        if is_site_staff(user):
            return SENT
        return SENT & Q(institution_id__in=handled_institution_ids(user))


def handles_requests(user) -> bool:
    """Does ``user`` have a queue at all (site staff, or the side of some institution)?"""
    return is_site_staff(user) or bool(handled_institution_ids(user))


class RequestCollectionsField(models.ManyToManyField):
    """A request's collections, through its kind's own ``<Model>Collection`` row model.

    The rows are explicit (``RequestCollection``) so that Django's deletion collector sees
    them: a collection that requests ask for cannot be deleted (the admin shows its protected
    page, the API answers 409) instead of silently losing the rows of an automatic table. A
    kind's app declares the row model beside its request model; one missing is reported at
    start-up (fields.E331).
    """

    def contribute_to_class(  # type: ignore[override]  # the stubs lack Django's **kwargs
        self, cls: type[models.Model], name: str, **kwargs: Any
    ) -> None:
        if not cls._meta.abstract:
            # A lazy reference, resolved like a ``through="app.Model"`` argument.
            through = f"{cls._meta.app_label}.{cls.__name__}Collection"
            self.remote_field.through = through  # type: ignore[assignment]
        super().contribute_to_class(cls, name, **kwargs)

    def deconstruct(self) -> Any:
        # Plain in migrations: the through model is named there.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ManyToManyField", args, kwargs


def list_indexes(prefix: str) -> list[models.Index]:
    """The indexes every kind's request lists are served by, named ``<prefix>_…``.

    A list is filtered by equalities and read in ``Meta.ordering`` (``-updated_at, -id``) a
    page at a time; with the equalities first and that order after them, a page is one index
    range read backwards with a LIMIT, never a sort of every match (issue #13):

    - ``status``: a filter by status of staff of many institutions (or site staff);
    - ``institution, status``: a curator's queue (``institution_id IN (…)``), by status;
    - ``requester, status``: a researcher's own requests, by status.

    A kind whose table name makes ``<app>_<model>_…`` longer than an index name may be (30
    characters) passes a shorter prefix (``virtual_access``).
    """
    order = ["updated_at", "id"]
    return [
        models.Index(fields=["status", *order], name=f"{prefix}_status"),
        models.Index(fields=["institution", "status", *order], name=f"{prefix}_inst"),
        models.Index(fields=["requester", "status", *order], name=f"{prefix}_req"),
    ]


class AccessRequest(models.Model):
    """What a researcher asks for; ``status`` is written by ``workflow.service.perform`` only."""

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
    collections = RequestCollectionsField(
        "collections_app.Collection", related_name="%(class)ss", verbose_name=_("collections")
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose and justification"))
    status = models.CharField(_("status"), max_length=32, default="draft", editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)

    objects = AccessRequestQuerySet.as_manager()

    if TYPE_CHECKING:
        # What each kind's concrete models give every request (their foreign keys' related
        # names, ``items`` only where the kind has items) and the status label of the kind's
        # choices: declared for the type checker, which sees only this abstract base.
        history: RelatedManager[Any]
        comments: RelatedManager[Any]
        attachments: RelatedManager[Any]
        items: RelatedManager[Any]

        def get_status_display(self) -> str: ...

    class Meta:
        abstract = True
        ordering = ["-updated_at", "-id"]
        indexes = list_indexes("%(app_label)s_%(class)s")

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.reference:
            self.reference = ReferenceCounter.allocate(self.kind.prefix)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(f"{self.kind.url_namespace}:detail", args=[self.pk])

    @property
    def kind(self) -> RequestKind:
        return kind_of(type(self))

    @property
    def workflow(self) -> Workflow:
        return self.kind.workflow

    @property
    def is_sent(self) -> bool:
        """Submitted at least once: the institution sees it from then on."""
        return self.submitted_at is not None

    def is_in_queue_of(self, user) -> bool:
        """``in_queue_of`` for this one request, without a query."""
        if not (self.is_sent and user and user.is_authenticated and user.is_active):
            return False
        return is_site_staff(user) or self.institution_id in handled_institution_ids(user)

    def actor_roles(self, user) -> set[str]:
        """The roles ``user`` holds towards this request (see ``workflow.table``)."""
        return Viewer.of(user).roles_towards(self)

    def allowed_actions(self, user) -> list[str]:
        """What ``user`` may do now (``Viewer.allowed_actions``)."""
        return Viewer.of(user).allowed_actions(self)

    @property
    def is_editable_draft(self) -> bool:
        """Requesters edit the request's content only while it is a draft or sent back."""
        return self.status in ("draft", "changes_requested")


class RequestCollection(models.Model):
    """One collection one request asks for: the row behind ``AccessRequest.collections``.

    A kind's app subclasses it with the foreign key to its request, named ``request``
    (``class LoanRequestCollection(RequestCollection)``). The collection is protected: a
    collection requests refer to is closed to new requests (``accepting_requests``), never
    deleted, so no request loses what it asked for.
    """

    collection = models.ForeignKey(
        "collections_app.Collection",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("collection"),
    )

    if TYPE_CHECKING:
        # The kind's concrete row model adds the foreign key to its request.
        request: Any

    class Meta:
        abstract = True
        unique_together = [("request", "collection")]

    def __str__(self) -> str:
        return f"{self.request.reference} — {self.request.title}"


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

    def __str__(self) -> str:
        return self.body if len(self.body) <= 60 else f"{self.body[:59]}…"


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

    if TYPE_CHECKING:
        # The kind's concrete attachment model adds the foreign key to its request.
        request_id: int

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class RequestItemQuerySet(models.QuerySet):
    def outstanding(self) -> RequestItemQuerySet:
        """The items an item-wise action (return, capture …) may still pick, e.g. the admin's
        checkboxes for an ``ItemIdsField``: all of them, unless the kind's item model narrows it
        (a loan's items not yet returned)."""
        return self


class RequestItem(models.Model):
    """What a request asks for, item by item: a catalogued specimen, or a described lot with a
    count ("20 unsorted Carabidae, drawer 14"). Loans and digitisation requests have items; a
    kind's item model adds the foreign key to its request (``related_name="items"``), and its
    own queryset derives from ``RequestItemQuerySet``."""

    specimen = models.ForeignKey(
        "collections_app.Specimen",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(app_label)s_items",
        verbose_name=_("specimen"),
    )
    description = models.CharField(
        _("description"),
        max_length=255,
        blank=True,
        help_text=_("For lots not catalogued individually."),
    )
    quantity = models.PositiveIntegerField(_("count"), default=1)

    objects = RequestItemQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(specimen__isnull=False) | ~Q(description=""),
                name="%(app_label)s_%(class)s_specimen_or_description",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="%(app_label)s_%(class)s_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        """The specimen, or the lot with its count once: "Lot of 20: unsorted Carabidae,
        drawer 14" (a description that starts with its own count does not repeat it)."""
        if self.specimen_id:
            return str(self.specimen)
        described = self.description.removeprefix(f"{self.quantity} ").strip()
        if self.quantity == 1 and described == self.description:
            return self.description
        return str(_("Lot of %(count)d: %(description)s")) % {
            "count": self.quantity,
            "description": described,
        }

    @property
    def outstanding_count(self) -> int:
        """How many of the item an item-wise action may still take (a lot of 10 with 6 back:
        4); all of it unless the kind's item model counts what is done."""
        return self.quantity


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
