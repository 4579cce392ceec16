"""Digitisation's own API endpoint: an item's captures, as a partner's imaging system sends them.

``GET/POST /api/v1/digitisation-requests/<id>/items/<item_id>/captures/``: the requester and
the institution's side list them; the institution's side (curators, its API clients) uploads
one master per POST (multipart ``file``), safely retried with an ``Idempotency-Key``. The
shared viewset's scoping answers 404 for a request the caller cannot see, and this endpoint
404 for an item of another request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from elvis.api.idempotency import IDEMPOTENCY_PARAMETERS, idempotent
from elvis.api.requests.errors import (
    CONFLICT,
    FIELD_ERRORS,
    FORBIDDEN,
    NOT_FOUND,
    ErrorDetailSerializer,
)
from virtual_access.captures import CaptureTooLarge, store_capture
from virtual_access.models import Capture, DigitisationItem

from .serializers import CaptureSerializer, CaptureUploadSerializer

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

    # The mixin is only ever put before the digitisation requests' viewset: type it as one.
    _ViewSetBase = GenericAPIView
else:
    _ViewSetBase = object


class CapturesMixin(_ViewSetBase):
    """The ``captures`` endpoints of the digitisation requests' viewset."""

    def _item(self, pk: str | None, item_pk: str | None) -> DigitisationItem:
        request = self.get_object()  # 404 outside the caller's scope
        # The route always gives the item's id.
        item = DigitisationItem.objects.filter(pk=cast(str, item_pk), request=request).first()
        if item is None:
            raise NotFound(_("No such item on this request."))
        item.request = request
        return item

    @extend_schema(
        operation_id="digitisation_requests_item_captures_list",
        responses={200: CaptureSerializer(many=True), 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"items/(?P<item_pk>[0-9]+)/captures",
        url_name="item-captures",
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def item_captures(
        self, request: Request, pk: str | None = None, item_pk: str | None = None
    ) -> Response:
        """The item's captures, oldest first, with what processing found in each."""
        item = self._item(pk, item_pk)
        captures = Capture.objects.filter(item=item).order_by("pk")
        return Response(CaptureSerializer(captures, many=True).data)

    @extend_schema(
        operation_id="digitisation_requests_item_captures_create",
        request={"multipart/form-data": CaptureUploadSerializer},
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={
            201: CaptureSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
            413: OpenApiResponse(ErrorDetailSerializer, description=_("The file is too large.")),
        },
    )
    @item_captures.mapping.post
    @idempotent
    def add_item_capture(
        self, request: Request, pk: str | None = None, item_pk: str | None = None
    ) -> Response:
        """Upload a master image of the item (multipart ``file``; one per POST).

        Only the institution's side, while the request is in progress (else 409). The answer
        comes at once with the capture ``pending``; processing (checks, measurements,
        derivatives) follows in the background and its outcome shows on the capture and on
        the item (``processed``, or ``failed`` with the reason).
        """
        item = self._item(pk, item_pk)
        payload = CaptureUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        try:
            capture = store_capture(item, upload, uploaded_by=request.user, name=upload.name)
        except DjangoValidationError as exc:
            if isinstance(exc, CaptureTooLarge):
                raise  # 413, see api_error
            raise serializers.ValidationError({"file": exc.messages}) from exc
        return Response(CaptureSerializer(capture).data, status=status.HTTP_201_CREATED)
