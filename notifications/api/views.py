"""``/api/v1/notifications/``: the caller's own notifications; others' are 404."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from collections_app.api.filtersets import StrictBooleanFilter, StrictIsoDateTimeFilter
from elvis.api.pagination import KeysetOrderingFilter, KeysetPagination

from ..models import Notification
from .serializers import NotificationSerializer


class NotificationFilterSet(django_filters.FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull")
    event = django_filters.CharFilter()
    updated_after = StrictIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    ordering = KeysetOrderingFilter(fields=("created_at", "updated_at"))

    class Meta:
        model = Notification
        fields = ["unread", "event", "updated_after"]


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The caller's notifications, newest first, paged by cursor (``KeysetPagination``): an
    inbox of years costs what a new one does, and reading while new ones arrive never skips
    or repeats one."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = KeysetPagination
    filterset_class = NotificationFilterSet

    def get_queryset(self):
        return Notification.objects.for_user(self.request.user).order_by("-created_at", "-id")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        """Mark one notification as read."""
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at", "updated_at"])
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("ReadAll", {"marked_read": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark every unread notification of the caller as read."""
        count = self.get_queryset().unread().update(read_at=timezone.now())
        return Response({"marked_read": count})
