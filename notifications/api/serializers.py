from __future__ import annotations

from rest_framework import serializers

from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id", "event", "subject", "preview", "body", "url", "reference",
            "created_at", "read", "read_at", "email_status",
        ]  # fmt: skip
        read_only_fields = fields

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None
