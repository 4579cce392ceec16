"""The outbox, for site staff: who was told what, whether the e-mail left, and a way to retry.

Notifications are written by the workflow's events, never by hand, so the admin is read-only;
its one action offers failed e-mails to the worker again.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from collections_app.roles import is_site_staff

from .models import Notification
from .tasks import enqueue_emails_on_commit


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "recipient",
        "event",
        "reference",
        "email_status",
        "email_attempts",
    )
    list_select_related = ("recipient",)
    list_filter = ("event", "email_status")
    search_fields = ("recipient__email", "recipient__full_name", "reference", "subject")
    date_hierarchy = "created_at"
    actions = ("resend_email",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_site_staff(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return is_site_staff(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    @admin.action(description=_("Re-send e-mail"))
    def resend_email(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        """Failed e-mails go back to pending with a fresh retry budget; others are left alone
        (a pending or sending one is on its way, a sent one must not go twice)."""
        failed = queryset.filter(email_status=Notification.EmailStatus.FAILED)
        ids = list(failed.values_list("pk", flat=True))
        Notification.objects.filter(
            pk__in=ids, email_status=Notification.EmailStatus.FAILED
        ).update(
            email_status=Notification.EmailStatus.PENDING,
            email_attempts=0,
            email_enqueued_at=None,
            email_claimed_at=None,
        )
        enqueue_emails_on_commit(ids)
        skipped = queryset.count() - len(ids)
        if ids:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail queued again.", "%(count)d e-mails queued again.", len(ids)
                )
                % {"count": len(ids)},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d notification had not failed and was left alone.",
                    "%(count)d notifications had not failed and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
