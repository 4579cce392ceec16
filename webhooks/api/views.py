"""``/api/v1/webhooks/``: an institution's webhook subscriptions, their delivery log, redelivery
and ping. Managed by the institution's coordinators and API clients; others' are 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from collections_app.api.filtersets import (
    RegistryFilterSet,
    StableOrderingFilter,
    StrictBooleanFilter,
)
from collections_app.models import Institution
from collections_app.roles import is_site_staff, managed_webhook_institution_ids
from elvis.api.idempotency import IDEMPOTENCY_PARAMETERS, idempotent
from elvis.api.requests.errors import ErrorDetailSerializer

from .. import services
from ..events import PING, known_events
from ..models import Delivery, Subscription
from .serializers import (
    DeliverySerializer,
    RotateSecretSerializer,
    WebhookSerializer,
    WebhookWithSecretSerializer,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


CONFLICT = OpenApiResponse(ErrorDetailSerializer, description=_("Not possible right now."))
ACCEPTED = OpenApiResponse(
    DeliverySerializer, description=_("Recorded and on its way: follow it in the delivery log.")
)


class WebhookFilterSet(RegistryFilterSet):
    is_active = StrictBooleanFilter()
    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.all(),
        to_field_name="code",
        help_text=_("Institution code, e.g. NHM."),
    )
    ordering = StableOrderingFilter(fields=("created_at", "updated_at"))

    class Meta:
        model = Subscription
        fields: list[str] = []


class DeliveryFilterSet(RegistryFilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Delivery.Status.choices,
        help_text=_("Repeat for several: ?status=pending&status=failed."),
    )
    event = django_filters.ChoiceFilter(
        choices=lambda: [(name, name) for name in (*known_events(), PING)],
        help_text=_("One event name, e.g. loan.approved."),
    )
    ordering = StableOrderingFilter(fields=("created_at", "updated_at"))

    class Meta:
        model = Delivery
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary=_("Your institutions' webhook subscriptions")),
    retrieve=extend_schema(summary=_("One subscription (never its secret)")),
    update=extend_schema(summary=_("Change a subscription")),
    partial_update=extend_schema(summary=_("Change some fields of a subscription")),
    destroy=extend_schema(
        summary=_("Delete a subscription and its delivery log"),
        responses={204: OpenApiResponse(description=_("Deleted."))},
    ),
)
@extend_schema(tags=["webhooks"])
class WebhookViewSet(viewsets.ModelViewSet):
    """Subscriptions of the institutions the caller manages (as coordinator or API client).

    Each delivery is a POST of a JSON envelope signed as Standard Webhooks sign (`webhook-id`,
    the event id; `webhook-timestamp`; `webhook-signature`), to verify with a standardwebhooks
    library and the secret (`x-webhooks` in this document describes it); see the webhooks guide
    for retries, ordering and the deprecated ELViS-* headers.
    """

    serializer_class = WebhookSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = WebhookFilterSet
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False) and self.action == "deliveries":
            return Delivery.objects.none()  # the model the delivery log's filters document
        return (
            Subscription.objects.manageable_by(self.request.user)
            .select_related("institution", "created_by")
            .order_by("-created_at", "-id")
        )

    def get_object(self) -> Subscription:
        """By id within the caller's scope only (list filters do not apply to one object)."""
        subscription = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, subscription)
        return subscription

    def _with_secret(self, subscription: Subscription) -> dict[str, Any]:
        return WebhookWithSecretSerializer(subscription, context=self.get_serializer_context()).data

    @extend_schema(
        summary=_("Subscribe a URL (the answer shows the signing secret, once)"),
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={201: WebhookWithSecretSerializer},
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        if not (is_site_staff(user) or managed_webhook_institution_ids(user)):
            raise PermissionDenied(
                _("Only an institution's coordinators and API clients manage its webhooks.")
            )
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        subscription = payload.save(created_by=user)
        return Response(self._with_secret(subscription), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Issue a new signing secret (shown in this answer only)"),
        request=RotateSecretSerializer,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={200: WebhookWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", filter_backends=[])
    @idempotent
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        subscription = self.get_object()
        payload = RotateSecretSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with transaction.atomic():
            locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
            locked.rotate_secret(timedelta(seconds=payload.validated_data["keep_previous_for"]))
        subscription.refresh_from_db()
        return Response(self._with_secret(subscription))

    @extend_schema(
        summary=_("Send a webhook.ping delivery now"),
        request=None,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={202: ACCEPTED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    @idempotent
    def ping(self, request: Request, pk: str | None = None) -> Response:
        """A ``webhook.ping`` envelope whose ``data`` is this subscription, whatever its events."""
        subscription = self._active(self.get_object())
        delivery = services.ping(subscription, self.get_serializer(subscription).data)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        summary=_("The delivery log, newest first"),
        responses={200: DeliverySerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=DeliveryFilterSet,
        serializer_class=DeliverySerializer,
    )
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """Every delivery of this subscription with its attempts: status code, duration and
        the start of the response, or the error."""
        deliveries = self.get_object().deliveries.prefetch_related("attempt_log")
        page = self.paginate_queryset(
            self.filter_queryset(deliveries.order_by("-created_at", "-id"))
        )
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_deliveries_retrieve",
        summary=_("One delivery and its attempts"),
        responses={200: DeliverySerializer},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"deliveries/(?P<delivery_pk>[0-9]+)",
        url_name="delivery",
        filter_backends=[],
    )
    def delivery(
        self, request: Request, pk: str | None = None, delivery_pk: str | None = None
    ) -> Response:
        return Response(DeliverySerializer(self._delivery(delivery_pk)).data)

    @extend_schema(
        summary=_("Send a delivery again: same envelope, event id and sequence"),
        request=None,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={202: ACCEPTED, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_pk>[0-9]+)/redeliver",
        url_name="redeliver",
        filter_backends=[],
    )
    @idempotent
    def redeliver(
        self, request: Request, pk: str | None = None, delivery_pk: str | None = None
    ) -> Response:
        """Back to pending with a fresh 24-hour retry window, whatever its status was (except
        while an attempt is in flight)."""
        delivery = self._delivery(delivery_pk)
        self._active(delivery.subscription)
        if not services.redeliver(delivery):
            raise Conflict(_("This delivery is being sent right now; try again in a moment."))
        return Response(
            DeliverySerializer(self._delivery(delivery_pk)).data, status=status.HTTP_202_ACCEPTED
        )

    def _delivery(self, delivery_pk: str | None) -> Delivery:
        deliveries = self.get_object().deliveries.select_related("subscription")
        return get_object_or_404(deliveries.prefetch_related("attempt_log"), pk=delivery_pk)

    @staticmethod
    def _active(subscription: Subscription) -> Subscription:
        if not subscription.is_active:
            raise Conflict(_("The subscription is paused: set is_active to true first."))
        return subscription
