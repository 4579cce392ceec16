"""Webhook subscriptions and their delivery log, scoped like the registry.

Curators and coordinators see their institutions' subscriptions and deliveries; coordinators
pause, edit or delete subscriptions and send deliveries again ("Redeliver"). Subscribing happens
through the API, whose answer is the only place the signing secret is ever shown, so there is no
"add" here; secrets are never displayed.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet, URLField
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from collections_app.admin import InstitutionFilter, InstitutionScopedAdmin, institution_code
from collections_app.roles import coordinated_institution_ids, institution_ids, is_site_staff
from elvis.admin import NotFoundOutsideScope, may_use_admin

from . import services
from .models import Delivery, DeliveryAttempt, Subscription

#: Deliveries listed on a subscription's page; the full log is the deliveries list.
RECENT_DELIVERIES = 50


def visible_deliveries(user, queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
    if is_site_staff(user):
        return queryset
    return queryset.filter(subscription__institution_id__in=institution_ids(user))


def may_view(user, subscription: Subscription | None) -> bool:
    if is_site_staff(user):
        return True
    ids = institution_ids(user)
    return bool(ids) if subscription is None else subscription.institution_id in ids


class ReadOnlyPermissions:
    """Rows written by the delivery machinery only: viewed with their subscription."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        subscription = obj.subscription if isinstance(obj, Delivery) else obj
        return may_view(request.user, subscription)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RecentDeliveriesFormSet(BaseInlineFormSet):
    def get_queryset(self) -> QuerySet[Delivery]:
        if not hasattr(self, "_recent"):
            self._recent = super().get_queryset()[:RECENT_DELIVERIES]
        return self._recent


class DeliveryLogInline(ReadOnlyPermissions, admin.TabularInline):
    model = Delivery
    formset = RecentDeliveriesFormSet
    fields = ("created_at", "event", "sequence", "status", "attempts", "last_status_code")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    verbose_name_plural = _("latest deliveries")


class AttemptInline(ReadOnlyPermissions, admin.TabularInline):
    model = DeliveryAttempt
    fields = (
        "number",
        "state",
        "started_at",
        "duration_ms",
        "status_code",
        "error",
        "response_excerpt",
    )
    readonly_fields = fields
    extra = 0


@admin.register(Subscription)
class SubscriptionAdmin(InstitutionScopedAdmin):
    list_display = ("__str__", institution_code, "events", "is_active", "created_by", "created_at")
    list_select_related = ("institution", "created_by")
    list_filter = (InstitutionFilter, "is_active")
    search_fields = ("url", "description", "institution__code")
    fields = (
        "institution",
        "url",
        "description",
        "events",
        "is_active",
        "created_by",
        "created_at",
        "delivery_log",
    )
    readonly_fields = ("institution", "created_by", "created_at", "delivery_log")
    inlines = (DeliveryLogInline,)
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("delivery log"))
    def delivery_log(self, subscription: Subscription) -> str:
        url = reverse("admin:webhooks_delivery_changelist") + f"?subscription={subscription.pk}"
        count = subscription.deliveries.count()
        return format_html(
            '<a href="{}">{}</a>',
            url,
            ngettext("%(count)d delivery", "%(count)d deliveries", count) % {"count": count},
        )


class SubscriptionFilter(admin.SimpleListFilter):
    """The subscriptions the user can see (a related-field filter would list all)."""

    title = _("subscription")
    parameter_name = "subscription"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        subscriptions = Subscription.objects.select_related("institution")
        if not is_site_staff(request.user):
            subscriptions = subscriptions.filter(institution_id__in=institution_ids(request.user))
        return [(str(s.pk), f"{s.institution.code}: {s}") for s in subscriptions]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        try:
            return queryset.filter(subscription=int(value))
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error


@admin.register(Delivery)
class DeliveryAdmin(NotFoundOutsideScope, ReadOnlyPermissions, admin.ModelAdmin):
    list_display = (
        "created_at",
        "event",
        "subscription",
        "sequence",
        "status",
        "attempts",
        "last_status_code",
    )
    list_select_related = ("subscription__institution",)
    list_filter = ("status", "event", SubscriptionFilter)
    search_fields = ("=event_id", "subscription__url")
    date_hierarchy = "created_at"
    fields = (
        "subscription",
        "event",
        "event_id",
        "sequence",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "retry_until",
        "delivered_at",
        "last_status_code",
        "last_error",
        "envelope",
    )
    readonly_fields = fields
    inlines = (AttemptInline,)
    actions = ("redeliver",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return visible_deliveries(request.user, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return is_site_staff(request.user) or bool(coordinated_institution_ids(request.user))

    @admin.display(description=_("envelope"))
    def envelope(self, delivery: Delivery) -> str:
        pretty = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
        return format_html("<pre>{}</pre>", pretty)

    @admin.action(description=_("Redeliver"), permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        """The same envelope again, with a fresh retry window; only for coordinators of the
        subscription's institution, and not while an attempt is in flight or it is paused."""
        selected = queryset.count()
        if not is_site_staff(request.user):
            queryset = queryset.filter(
                subscription__institution_id__in=coordinated_institution_ids(request.user)
            )
        sent = sum(
            services.redeliver(delivery)
            for delivery in queryset.select_related("subscription")
            if delivery.subscription.is_active
        )
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery queued again.", "%(count)d deliveries queued again.", sent
                )
                % {"count": sent},
                messages.SUCCESS,
            )
        skipped = selected - sent
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery was left alone: being sent, paused, or not yours.",
                    "%(count)d deliveries were left alone: being sent, paused, or not yours.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
