"""``GET /api/v1/queue/``: the work waiting on the caller's institutions, as the admin's home
page shows it (``elvis.workflow.queue``), for partner systems and API staff."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from elvis.workflow.models import handles_requests
from elvis.workflow.queue import DUE_SOON_DAYS, work_queue


class StatusCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    status_label = serializers.CharField(
        source="label", help_text="The status's name in the caller's language."
    )
    count = serializers.IntegerField()


class DueRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="request.pk")
    reference = serializers.CharField(source="request.reference")
    title = serializers.CharField(source="request.title")
    status = serializers.CharField(source="request.status")
    due = serializers.DateField(help_text="The date it is due back (a loan's due_date).")


class DueListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many there are in all.")
    requests = DueRequestSerializer(many=True, help_text="The first ones, soonest due first.")


class KindQueueSerializer(serializers.Serializer):
    kind = serializers.CharField(source="kind.name", help_text="loan, visit, digitisation …")
    waiting = StatusCountSerializer(
        many=True, help_text="Requests waiting on the institution, per status of the kind."
    )
    overdue = DueListSerializer(
        allow_null=True, help_text="Past their due date while out (null: the kind has none)."
    )
    due_soon = DueListSerializer(
        allow_null=True, help_text="Due back within due_soon_days (null: the kind has none)."
    )


class QueueSerializer(serializers.Serializer):
    due_soon_days = serializers.IntegerField()
    kinds = KindQueueSerializer(many=True)


class QueueView(APIView):
    """The caller's work queue; a caller who handles no institution's requests has none (403)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="queue_retrieve",
        summary="The work waiting on your institutions",
        description=(
            "For institution staff and partner systems (site staff: every institution): per "
            "request kind, how many requests wait on the institution in each status, and for "
            "loans those overdue and those due back within due_soon_days. The same numbers as "
            "the admin's home page."
        ),
        responses={
            200: QueueSerializer,
            403: OpenApiResponse(description="The caller handles no institution's requests."),
        },
        tags=["queue"],
    )
    def get(self, request: Request) -> Response:
        if not handles_requests(request.user):
            raise PermissionDenied(_("You handle no institution's requests."))
        data = {"due_soon_days": DUE_SOON_DAYS, "kinds": work_queue(request.user)}
        return Response(QueueSerializer(data).data)
