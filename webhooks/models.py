"""Webhook subscriptions of partner institutions, and the outbox of their deliveries.

A delivery row is written in the same transaction as the event it reports (see ``sinks``), so a
partner hears of exactly the changes that committed; the worker claims it with a
compare-and-set, so it is POSTed by one worker at a time however often it is enqueued.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_app.roles import is_site_staff, managed_webhook_institution_ids

from .events import ALL_EVENTS, validate_event_names
from .signing import generate_secret
from .ssrf import validate_webhook_url


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def manageable_by(self, user) -> SubscriptionQuerySet:
        """The one scoping rule of the API: subscriptions of the institutions ``user``
        manages (site staff: all); anything else is a 404."""
        if is_site_staff(user):
            return self
        return self.filter(institution_id__in=managed_webhook_institution_ids(user))


class Subscription(models.Model):
    """A partner's endpoint: the URL, the events it wants, and the secret that signs them."""

    #: After a rotation the old secret still signs deliveries this long (see ``rotate_secret``).
    ROTATION_OVERLAP: ClassVar[timedelta] = timedelta(hours=24)

    institution = models.ForeignKey(
        "collections_app.Institution",
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("institution"),
        help_text=_("Events about requests to this institution are delivered, and no others."),
    )
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("Where deliveries are POSTed: https, on a public address."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(
        _("events"),
        default=list,
        validators=[validate_event_names],
        help_text=_('Event names, e.g. ["loan.submitted", "loan.approved"], or ["*"] for all.'),
    )
    secret = models.CharField(_("secret"), max_length=128, default=generate_secret, editable=False)
    previous_secret = models.CharField(max_length=128, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Paused subscriptions receive nothing.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
        help_text=_("Payloads show requests as this account sees them through the API."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, event: str) -> bool:
        return ALL_EVENTS in self.events or event in self.events

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The current secret, then the previous one while its overlap lasts."""
        now = now or timezone.now()
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def rotate_secret(self, keep_previous_for: timedelta = ROTATION_OVERLAP) -> str:
        """Issue a new secret. The old one keeps signing (a second signature in each header) for
        ``keep_previous_for``, so deliveries in flight still verify while the receiver is
        switched over; zero drops it at once (a leaked secret)."""
        self.previous_secret = self.secret if keep_previous_for else ""
        self.previous_secret_expires_at = (
            timezone.now() + keep_previous_for if keep_previous_for else None
        )
        self.secret = generate_secret()
        self.save(
            update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
        )
        return self.secret


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def change(self, **fields: Any) -> int:
        """``update`` that also moves ``updated_at`` (``auto_now`` works on ``save`` only), so
        ``updated_after`` finds every status change."""
        return self.update(updated_at=timezone.now(), **fields)


class Delivery(models.Model):
    """One event for one subscription: the envelope as sent, its state, and its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    #: Retries stop this long after the delivery was created (or redelivered).
    RETRY_WINDOW: ClassVar[timedelta] = timedelta(hours=24)
    #: Delivered and failed deliveries older than this are purged (``webhooks.purge``).
    RETENTION: ClassVar[timedelta] = timedelta(days=30)

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event_id = models.UUIDField(_("event id"), editable=False)
    event = models.CharField(_("event"), max_length=64, db_index=True)
    resource_type = models.CharField(_("resource type"), max_length=32)
    resource_id = models.PositiveBigIntegerField(_("resource id"))
    sequence = models.PositiveIntegerField(
        _("sequence"), help_text=_("Per subscription and resource: 1, 2, 3 … in event order.")
    )
    body = models.TextField(_("envelope"), help_text=_("The JSON body, byte for byte as sent."))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    retry_until = models.DateTimeField(_("retried until"))
    enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    last_error = models.TextField(_("last error"), blank=True)
    dedupe_key = models.CharField(
        max_length=160,
        null=True,
        blank=True,
        help_text=_("Set for reminders: one delivery per key and subscription."),
    )

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_event_unique"
            ),
            models.UniqueConstraint(
                fields=["subscription", "dedupe_key"], name="webhook_delivery_dedupe_unique"
            ),
            models.UniqueConstraint(
                fields=["subscription", "resource_type", "resource_id", "sequence"],
                name="webhook_delivery_sequence_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["subscription", "created_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.sequence} → {self.subscription}"

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


class DeliveryAttempt(models.Model):
    """One POST (or a refusal to send): what came back, or what went wrong.

    Written when the attempt starts (with the claim), completed when it ends: an attempt whose
    worker died stays in the log, closed as ``lost`` when its claim is reclaimed.
    """

    class State(models.TextChoices):
        SENDING = "sending", _("in progress")
        FINISHED = "finished", _("finished")
        LOST = "lost", _("outcome unknown (worker lost)")

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("time"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    response_excerpt = models.TextField(_("response (start)"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.FINISHED
    )

    class Meta:
        ordering = ["number", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"#{self.number}: {self.status_code or self.error[:40]}"


class SequenceCounter(models.Model):
    """Last ``sequence`` handed out per subscription and resource.

    Allocation locks the row inside the event's transaction (like ``ReferenceCounter``), so
    concurrent events on one request get consecutive numbers in commit order, and a rolled-back
    event releases its number: a receiver that sees 5 after 3 knows 4 is still on its way.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    resource_type = models.CharField(max_length=32)
    resource_id = models.PositiveBigIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "resource_type", "resource_id"],
                name="webhook_sequence_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}:{self.resource_id} → {self.last_value}"

    @classmethod
    def allocate(cls, subscription: Subscription, resource_type: str, resource_id: int) -> int:
        key: dict[str, Any] = {"subscription": subscription, "resource_type": resource_type}
        with transaction.atomic():
            cls.objects.get_or_create(**key, resource_id=resource_id)
            counter = cls.objects.select_for_update().get(**key, resource_id=resource_id)
            counter.last_value += 1
            counter.save(update_fields=["last_value"])
        return counter.last_value
