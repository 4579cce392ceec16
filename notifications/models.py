"""In-app notifications, each carrying its e-mail as an outbox entry.

The row is written in the same transaction as the event that caused it, so an e-mail exists
exactly when its cause committed; delivery claims the row with a compare-and-set, so it is sent
once however often it is enqueued (on commit, by the sweeper after a broker outage, by retries).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def update(self, **kwargs):
        """Every bulk change (read, e-mail status) moves ``updated_at``, for partners' sync."""
        kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)

    def for_user(self, user) -> NotificationQuerySet:
        return self.filter(recipient=user) if user.is_authenticated else self.none()

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
        help_text=_("Empty for a person without an account (e.g. a co-visitor): e-mail only."),
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    #: Files the e-mail carries (e.g. a visit's .ics): [{"name", "mimetype", "content"}], text.
    email_attachments = models.JSONField(_("e-mail attachments"), default=list, blank=True)
    event = models.CharField(_("event"), max_length=64, db_index=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    #: One line of what it says (the comment, the message, what was done), written with the
    #: rest so that lists show it without reading the body.
    preview = models.CharField(_("preview"), max_length=200, blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    url = models.CharField(_("link"), max_length=255, blank=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    reference = models.CharField(_("reference"), max_length=32, blank=True)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=160,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Set for reminders: one notification per key, however often beat runs."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    email_status = models.CharField(
        _("e-mail"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_sent_at = models.DateTimeField(_("e-mail sent"), null=True, blank=True)
    email_error = models.TextField(_("last e-mail error"), blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        # A person's list, newest first (``ordering``), all or unread only: a page is one
        # backward range of one of these, with no sort of the whole inbox (issue #13).
        indexes = [
            models.Index(fields=["recipient", "created_at", "id"], name="notification_list_idx"),
            models.Index(
                fields=["recipient", "read_at", "created_at", "id"], name="notification_inbox_idx"
            ),
            models.Index(fields=["email_status", "created_at"], name="notification_outbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(email=""),
                name="notification_has_an_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient or self.email}"
