"""Webhook subscriptions and their delivery log as the API shows and accepts them.

The secret appears in two answers only: the one that creates the subscription and the one that
rotates its secret (``WebhookWithSecretSerializer``); it is never shown again.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from collections_app.api.serializers import InstitutionSummarySerializer
from collections_app.models import Institution
from collections_app.roles import is_site_staff, managed_webhook_institution_ids
from elvis.api.fields import PersonSerializer, SummaryRelatedField

from ..events import ALL_EVENTS, known_events
from ..models import Delivery, DeliveryAttempt, Subscription


class WebhookSerializer(serializers.ModelSerializer):
    institution = SummaryRelatedField(
        summary=InstitutionSummarySerializer,
        queryset=Institution.objects.all(),
        required=False,
        help_text=_(
            "The institution whose requests are reported (its id when writing); optional when "
            "you act for one institution only. Fixed once created."
        ),
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[ALL_EVENTS, *known_events()]),
        min_length=1,
        max_length=100,
        help_text=_('Event names to receive, or ["*"] for every event.'),
    )
    created_by = PersonSerializer(read_only=True)

    class Meta:
        model = Subscription
        fields: tuple[str, ...] = (
            "id",
            "url",
            "description",
            "events",
            "is_active",
            "institution",
            "created_by",
            "created_at",
            "updated_at",
        )

    def validate_events(self, value: list[str]) -> list[str]:
        """Duplicates dropped; ``*`` alone stands for everything."""
        return [ALL_EVENTS] if ALL_EVENTS in value else list(dict.fromkeys(value))

    def validate_institution(self, value: Institution) -> Institution:
        if self.instance is not None and value.pk != self.instance.institution_id:
            raise serializers.ValidationError(
                _("A subscription cannot move to another institution.")
            )
        user = self.context["request"].user
        if not is_site_staff(user) and value.pk not in managed_webhook_institution_ids(user):
            raise serializers.ValidationError(_("You do not manage webhooks of this institution."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "institution" not in attrs:
            managed = managed_webhook_institution_ids(self.context["request"].user)
            if len(managed) != 1:
                raise serializers.ValidationError(
                    {"institution": [_("Say which institution (you act for several).")]}
                )
            attrs["institution"] = Institution.objects.get(pk=next(iter(managed)))
        return attrs


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text=_(
            "The signing key, a Standard Webhooks secret (whsec_ and the base64 of 32 bytes): "
            "shown in this answer only. Store it safely."
        ),
    )
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_("Until then, deliveries also carry a signature with the previous secret."),
    )

    class Meta(WebhookSerializer.Meta):
        fields = (*WebhookSerializer.Meta.fields, "secret", "previous_secret_expires_at")


class RotateSecretSerializer(serializers.Serializer):
    keep_previous_for = serializers.IntegerField(
        min_value=0,
        max_value=int(Subscription.ROTATION_OVERLAP.total_seconds()),
        default=int(Subscription.ROTATION_OVERLAP.total_seconds()),
        help_text=_(
            "Seconds during which deliveries are signed with the old secret too (default and "
            "most: 24 hours); 0 revokes it at once."
        ),
    )


class EnvelopeSerializer(serializers.Serializer):
    """The JSON body POSTed to the subscriber (see the webhooks guide)."""

    id = serializers.UUIDField(
        help_text=_("Event id, also the webhook-id header; the same on every attempt.")
    )
    event = serializers.CharField()
    created_at = serializers.DateTimeField()
    sequence = serializers.IntegerField(
        help_text=_("1, 2, 3 … per subscription and resource, in the order events happened.")
    )
    # DRF's metaclass takes declared fields off the class, so ``Serializer.data`` stays intact.
    data = serializers.JSONField(help_text=_("The resource as its API shows it."))  # type: ignore[assignment]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
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
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    payload = EnvelopeSerializer(read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = (
            "id",
            "event_id",
            "event",
            "sequence",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "updated_at",
            "next_attempt_at",
            "retry_until",
            "delivered_at",
            "payload",
            "attempt_log",
        )
        read_only_fields = fields
