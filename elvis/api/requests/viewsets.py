"""The viewset of every request kind, and the one built per registered kind."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any, ClassVar, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from django_filters.filterset import BaseFilterSet
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from elvis.api.idempotency import IDEMPOTENCY_PARAMETERS, idempotent
from elvis.api.pagination import KeysetPagination
from elvis.api.rows import row_writer_for
from elvis.workflow.actors import Viewer
from elvis.workflow.attachments import AttachmentTooLarge, attachment_response, save_attachment
from elvis.workflow.comments import post_comment
from elvis.workflow.errors import ActionForbidden, InvalidTransition
from elvis.workflow.kinds import RequestKind
from elvis.workflow.models import AccessRequest
from elvis.workflow.table import DRAFT

from .errors import CONFLICT, FIELD_ERRORS, FORBIDDEN, NOT_FOUND, ErrorDetailSerializer
from .filters import filterset_for_kind
from .pages import RequestListPlan, joined, listed, ordered
from .serializers import AttachmentSerializer, CommentSerializer, summary_serializer_for
from .transitions import TransitionViewSetMixin

logger = logging.getLogger(__name__)


class AccessRequestViewSet(TransitionViewSetMixin, viewsets.ModelViewSet):
    """A request kind's resource: scoped reads, the requester's draft, actions, thread and files.

    Only the requester edits the content, and only while ``is_editable_draft`` (deleting: while
    a draft); staff act through the actions and the thread. Others who can see the request get
    403, and a request past its draft stage a 409 listing what may be done instead.
    """

    permission_classes = [IsAuthenticated]
    pagination_class = KeysetPagination
    editing_actions: ClassVar[frozenset[str]] = frozenset({"update", "partial_update", "destroy"})
    #: The kind's filters (``filterset_for_kind``), set by ``viewset_for_kind``.
    filterset_class: ClassVar[type[BaseFilterSet]]

    def get_queryset(self) -> QuerySet:
        """The caller's visible requests with what the action's serializer shows.

        A list row needs only its summaries and counts (``pages.listed``); a detail reads the
        collections, the history with its actors and the items. Counts are correlated
        subqueries: one index probe per row of the page, never a join and GROUP BY over every
        comment.
        """
        requests = self.kind.queryset().visible_to(self.request.user)
        if self.action == "list":
            return listed(self.kind, requests)
        # Every kind's history; the abstract base the checker sees has none.
        history = self.kind.model._meta.get_field("history").related_model  # type: ignore[misc]
        prefetches: list[Any] = [
            "collections",
            Prefetch("history", queryset=history.objects.select_related("actor")),
        ]
        if self.kind.items is not None:
            items = self.kind.items.objects.select_related("specimen")
            prefetches.append(Prefetch("items", queryset=items))
        return joined(self.kind, requests).prefetch_related(*prefetches)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "list":
            return summary_serializer_for(self.kind)
        return super().get_serializer_class()

    # No docstring: the kind's description documents the list operation (OpenAPI).
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # DRF's list, its page written by the summary serializer's row writer: the same JSON
        # as ``serializer(page, many=True).data`` without DRF's loop over every field of
        # every row (``elvis.api.rows``).
        # Its page read by the SQL compiled for the request's shape (``pages``), or, for a
        # request of no fixed shape, from the queryset built as for any list.
        filterset = self.filterset_class(request.query_params, request=request)
        if not filterset.is_valid():  # the 400 the filter backend answers
            raise cast(APIException, translate_validation(filterset.errors))
        plan = RequestListPlan.of(self.kind, request.user, filterset)
        if plan is None:
            queryset = filterset.filter_queryset(self.get_queryset())
        else:
            cast(KeysetPagination, self.paginator).planned = plan
            ordering = filterset.form.cleaned_data.get("ordering")
            ordering_filter = type(filterset).base_filters["ordering"]  # the class's: one key
            queryset = ordered(self.kind, ordering_filter, tuple(ordering or ()))
        page = self.paginate_queryset(queryset)
        writer = row_writer_for(self.get_serializer_class())
        rows = writer.rows(queryset if page is None else page, self.get_serializer_context())
        return Response(rows) if page is None else self.get_paginated_response(rows)

    def get_serializer_context(self) -> dict[str, Any]:
        # The caller's roles, read once for every row's ``allowed_actions``.
        return {**super().get_serializer_context(), "viewer": Viewer.of(self.request.user)}

    def check_object_permissions(self, request: Request, obj: AccessRequest) -> None:
        super().check_object_permissions(request, obj)
        if self.action in self.editing_actions:
            self._check_editable(obj)

    def _check_editable(self, obj: AccessRequest) -> None:
        user = self.request.user
        if obj.requester_id != user.pk:
            raise PermissionDenied(
                _("Only the requester changes a request; staff use its actions and messages.")
            )
        deleting = self.action == "destroy"
        editable = obj.status == DRAFT if deleting else obj.is_editable_draft
        if not editable:
            message = (
                _("Only a draft can be deleted; withdraw the request instead.")
                if deleting
                else _("The request can no longer be changed: it is %(status)s.")
                % {"status": obj.get_status_display().lower()}
            )
            raise InvalidTransition(
                message, status=obj.status, allowed_actions=obj.allowed_actions(user)
            )

    @extend_schema(parameters=IDEMPOTENCY_PARAMETERS)
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        with transaction.atomic():
            serializer.save(requester=self.request.user)
            self._answer_inside(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        with transaction.atomic():
            serializer.save()
            self._answer_inside(serializer)

    def _answer_inside(self, serializer: serializers.BaseSerializer) -> None:
        """Build the answer (a read's annotations and prefetches of the row just saved) in the
        saving transaction, as transitions do (``answer_after``): once the row has committed,
        nothing is left to read, so a connection lost then cannot turn a kept request into a
        500 the client would retry as a second one."""
        saved = cast("AccessRequest", serializer.instance)
        serializer.instance = self.get_queryset().get(pk=saved.pk)
        serializer.data  # noqa: B018  (evaluated here; DRF answers with the cached data)

    def perform_destroy(self, instance: AccessRequest) -> None:
        files = [attachment.file for attachment in instance.attachments.all()]
        instance.delete()
        for file in files:
            file.delete(save=False)

    # The thread: messages between the requester and the institution's staff.

    @extend_schema(responses={200: CommentSerializer(many=True), 404: NOT_FOUND})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def comments(self, request: Request, pk: str | None = None) -> Response:
        """The request's messages, oldest first."""
        comments = self.get_object().comments.select_related("author")
        return Response(CommentSerializer(comments, many=True).data)

    @extend_schema(
        request=CommentSerializer,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={201: CommentSerializer, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @comments.mapping.post
    @idempotent
    def add_comment(self, request: Request, pk: str | None = None) -> Response:
        """Write to the other side (the requester or the institution's staff); they are told."""
        obj = self.get_object()
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        comment = post_comment(obj, author=request.user, body=payload.validated_data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    # Attachments: PDFs and images, served back only to those who may see the request.

    @extend_schema(responses={200: AttachmentSerializer(many=True), 404: NOT_FOUND})
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        """The request's files, oldest first."""
        attachments = self.get_object().attachments.select_related("uploaded_by")
        context = self.get_serializer_context()
        return Response(AttachmentSerializer(attachments, many=True, context=context).data)

    @extend_schema(
        request=AttachmentSerializer,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={
            201: AttachmentSerializer,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            413: OpenApiResponse(ErrorDetailSerializer, description=_("The file is too large.")),
        },
    )
    @attachments.mapping.post
    @idempotent
    def add_attachment(self, request: Request, pk: str | None = None) -> Response:
        """Upload a PDF or an image (multipart ``file``); its bytes, not its name, decide."""
        obj = self.get_object()
        if not obj.actor_roles(request.user):
            raise ActionForbidden(_("Only the requester and the institution's staff add files."))
        payload = AttachmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            attachment = save_attachment(
                obj,
                upload=payload.validated_data["file"],
                uploaded_by=request.user,
                description=payload.validated_data.get("description", ""),
            )
        except DjangoValidationError as exc:
            if isinstance(exc, AttachmentTooLarge):
                raise  # 413, see api_error
            raise serializers.ValidationError({"file": exc.messages}) from exc
        context = self.get_serializer_context()
        data = AttachmentSerializer(attachment, context=context).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/*"): OpenApiTypes.BINARY,
            404: NOT_FOUND,
        }
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_pk>[0-9]+)/download",
        url_name="attachment-download",
        filter_backends=[],
    )
    def download_attachment(
        self, request: Request, pk: str | None = None, attachment_pk: str | None = None
    ) -> FileResponse:
        """The file itself, as a download under its original name."""
        attachment = self.get_object().attachments.filter(pk=attachment_pk).first()
        if attachment is None:
            raise NotFound(_("No such file on this request."))
        try:
            return attachment_response(attachment)
        except Http404 as exc:
            logger.error("Attachment %s of %s is missing from storage", attachment.pk, pk)
            raise NotFound(_("The file is no longer stored.")) from exc


def _editing_schema(kind: RequestKind) -> dict[str, Any]:
    """The requester's edits answer 409 once the request has left the draft stage."""
    refused = {403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}
    edit = extend_schema(responses={200: kind.serializer, 400: FIELD_ERRORS, **refused})
    return {
        "update": edit,
        "partial_update": edit,
        "destroy": extend_schema(responses={204: None, **refused}),
    }


@cache
def viewset_for_kind(kind: RequestKind) -> type[AccessRequestViewSet]:
    """The kind's resource: the shared viewset with the kind's serializer and filters, and the
    kind's own endpoints (``RequestKind.api_mixins``)."""
    viewset = type(
        f"{kind.model.__name__}ViewSet",
        (*kind.api_mixins, AccessRequestViewSet),
        {
            "kind": kind,
            "serializer_class": kind.serializer,
            "filterset_class": filterset_for_kind(kind),
            "__module__": __name__,
            "__doc__": "{what}\n\n{how}".format(
                what=kind.description or kind.label_plural.capitalize(),
                how=_("Every action of the workflow is POST …/<id>/<action>/."),
            ),
        },
    )
    return extend_schema_view(**_editing_schema(kind))(viewset)
