"""The API of every request kind (loans, visits, digitisation), built on the workflow core.

A kind's viewset subclasses ``AccessRequestViewSet`` and names its ``model``; it then gets:

- list/retrieve scoped by ``model.objects.visible_to(user)`` (anything else is a 404);
- create as requester, and edit/delete by the requester while the request is an editable draft;
- one ``POST /<kind>/<id>/<action>/`` per row of the model's transition table, generated when
  the class is created, each documented with its body (the action form's fields) and answers;
- the comment thread and the attachments, with downloads checked against visibility.

The core's domain errors are turned into the contract's answers in one place (``api_error``):
403 forbidden, 409 wrong state (with ``status`` and ``allowed_actions``), 409 conflict, 413 too
large. A Django ``ValidationError`` from a form or service becomes 400 ``{field: [messages]}``
in the project's exception handler (``elvis.api.exceptions``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from collections_app.api.filtersets import RegistryFilterSet
from collections_app.api.serializers import (
    CollectionSummarySerializer,
    InstitutionSummarySerializer,
)
from collections_app.models import Collection, Institution
from elvis.api.idempotency import IDEMPOTENCY_PARAMETERS, idempotent
from elvis.workflow.attachments import AttachmentTooLarge, attachment_response, save_attachment
from elvis.workflow.comments import MAX_LENGTH as COMMENT_MAX_LENGTH
from elvis.workflow.comments import post_comment
from elvis.workflow.errors import ActionForbidden, InvalidTransition, WorkflowError
from elvis.workflow.models import AccessRequest
from elvis.workflow.service import perform
from elvis.workflow.table import DRAFT, Transition, Workflow

logger = logging.getLogger(__name__)

# --- Errors -------------------------------------------------------------------------------


class WorkflowRefusal(APIException):
    """A domain error answered with the status code the core gives it (403, 404, 409 …)."""

    def __init__(self, detail: Any, status_code: int) -> None:
        super().__init__(detail)
        self.status_code = status_code


def api_error(exc: Exception) -> APIException | None:
    """The contract's answer to a domain error of the workflow core, or None for other errors."""
    if isinstance(exc, AttachmentTooLarge):
        return WorkflowRefusal(exc.messages[0], status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, InvalidTransition):
        body = {"detail": exc.message, "status": exc.status, "allowed_actions": exc.allowed_actions}
        return WorkflowRefusal(body, exc.status_code)
    if isinstance(exc, WorkflowError):
        return WorkflowRefusal(exc.message, exc.status_code)
    return None


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class StateConflictSerializer(ErrorDetailSerializer):
    """409: not from the current state (``status``, ``allowed_actions``), or a data conflict."""

    status = serializers.CharField(required=False)
    allowed_actions = serializers.ListField(child=serializers.CharField(), required=False)


FIELD_ERRORS = OpenApiResponse(
    # Nested fields nest their errors (items -> index -> field), so values are not only lists.
    response={"type": "object", "additionalProperties": True},
    description=_("Invalid input: {field: [messages]}."),
)
FORBIDDEN = OpenApiResponse(
    ErrorDetailSerializer, description=_("You can see the request but may not do this.")
)
NOT_FOUND = OpenApiResponse(ErrorDetailSerializer, description=_("No such request visible to you."))
CONFLICT = OpenApiResponse(
    StateConflictSerializer,
    description=_(
        "Not possible from the current status (with status and allowed_actions), "
        "or in conflict with other data."
    ),
)


# --- Fields and nested representations ------------------------------------------------------


class SummaryRelatedField(serializers.PrimaryKeyRelatedField):
    """Written as an id, shown as a summary object: ``"institution": 3`` in, ``{id, …}`` out."""

    def __init__(self, summary: type[serializers.Serializer], **kwargs: Any) -> None:
        self.summary = summary
        super().__init__(**kwargs)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_representation(self, value: Any) -> dict[str, Any]:
        return self.summary(value, context=self.context).data


class SummaryRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Documents ``SummaryRelatedField`` as an integer in requests and the summary in responses."""

    target_class = SummaryRelatedField

    def map_serializer_field(self, auto_schema, direction: str) -> dict[str, Any]:
        if direction == "request":
            return build_basic_type(OpenApiTypes.INT)
        return auto_schema.resolve_serializer(self.target.summary, direction).ref


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(source="get_full_name", read_only=True)


class RequesterSerializer(PersonSerializer):
    email = serializers.EmailField(read_only=True)


class HistoryEntrySerializer(serializers.Serializer):
    action = serializers.CharField(read_only=True)
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    actor = PersonSerializer(read_only=True)
    comment = serializers.CharField(read_only=True)
    data = serializers.JSONField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class CommentSerializer(serializers.Serializer):
    """A message on a request's thread (``body`` is checked by ``post_comment``)."""

    id = serializers.IntegerField(read_only=True)
    author = PersonSerializer(read_only=True)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    created_at = serializers.DateTimeField(read_only=True)


class AttachmentSerializer(serializers.Serializer):
    """A stored file; ``file`` is the upload (PDF or image), ``download_url`` serves it back."""

    id = serializers.IntegerField(read_only=True)
    file = serializers.FileField(write_only=True)
    original_name = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=255)
    uploaded_by = PersonSerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, attachment: Any) -> str:
        view = self.context["view"]
        return view.reverse_action(
            "attachment-download",
            kwargs={"pk": attachment.request_id, "attachment_pk": attachment.pk},
        )


class AccessRequestSerializer(serializers.ModelSerializer):
    """What every kind shows (DESIGN.md §3) and the rule for its collections.

    A kind's serializer lists ``COMMON_FIELDS``, its own fields and ``TRAIL_FIELDS`` in its Meta,
    and names the collection flag that says the collection takes this kind of request.
    """

    COMMON_FIELDS: ClassVar[tuple[str, ...]] = (
        "id",
        "reference",
        "status",
        "status_display",
        "allowed_actions",
        "requester",
        "institution",
        "collections",
        "title",
        "purpose",
    )
    TRAIL_FIELDS: ClassVar[tuple[str, ...]] = (
        "history",
        "comment_count",
        "created_at",
        "updated_at",
        "submitted_at",
    )
    #: The ``Collection`` flag that must be set, e.g. ``accepts_loans``.
    accepts_flag: ClassVar[str]

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text=_("What you may do now: POST to …/<id>/<action>/.")
    )
    requester = RequesterSerializer(read_only=True)
    institution = SummaryRelatedField(
        summary=InstitutionSummarySerializer,
        queryset=Institution.objects.all(),
        help_text=_("The institution asked (its id when writing)."),
    )
    collections = SummaryRelatedField(
        summary=CollectionSummarySerializer,
        queryset=Collection.objects.all(),
        many=True,
        required=False,
        help_text=_("The institution's collections asked (their ids when writing)."),
    )
    history = HistoryEntrySerializer(many=True, read_only=True)
    comment_count = serializers.IntegerField(read_only=True)

    def get_allowed_actions(self, obj: AccessRequest) -> list[str]:
        return obj.allowed_actions(self.context["request"].user)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        institution = self._value(attrs, "institution")
        collections = attrs.get("collections")
        if collections is None and self.instance is not None:
            collections = list(self.instance.collections.all())
        errors = []
        for collection in collections or ():
            if collection.institution_id != institution.pk:
                errors.append(
                    _("%(collection)s is not a collection of %(institution)s.")
                    % {"collection": collection.code, "institution": institution.code}
                )
            elif not getattr(collection, self.accepts_flag):
                errors.append(
                    _("%(collection)s does not take this kind of request.")
                    % {"collection": collection.code}
                )
        if errors:
            raise serializers.ValidationError({"collections": errors})
        return attrs

    def _value(self, attrs: dict[str, Any], name: str) -> Any:
        """The value the object will have: from the body, else the stored one."""
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, None)


# --- Filters ----------------------------------------------------------------------------------


class AccessRequestFilterSet(RegistryFilterSet):
    """Filters every kind offers; a kind adds ``status`` (its choices) and ``ordering``."""

    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.all(),
        to_field_name="code",
        help_text=_("Institution code, e.g. NHM."),
    )
    collection = django_filters.ModelChoiceFilter(
        field_name="collections", queryset=Collection.objects.all(), help_text=_("Collection id.")
    )
    requester = django_filters.ChoiceFilter(
        choices=[("me", _("me"))],
        method="filter_requester",
        help_text=_("me: only your own requests (staff see their institution's too)."),
    )
    q = django_filters.CharFilter(
        method="search", help_text=_("Reference or title contains (any case).")
    )

    def filter_requester(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(requester=self.request.user)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))


# --- Transition endpoints -----------------------------------------------------------------

FieldFactory = Callable[..., serializers.Field]

#: How an action form's field is typed in the API (JSON type and schema), looked up along the
#: form field's class hierarchy. The form still validates the value inside ``perform``.
FORM_FIELD_TYPES: dict[type[forms.Field], FieldFactory] = {
    forms.CharField: lambda f, **kw: serializers.CharField(
        max_length=f.max_length, allow_blank=True, **kw
    ),
    forms.BooleanField: lambda f, **kw: serializers.BooleanField(**kw),
    forms.IntegerField: lambda f, **kw: serializers.IntegerField(
        min_value=f.min_value, max_value=f.max_value, **kw
    ),
    forms.FloatField: lambda f, **kw: serializers.FloatField(**kw),
    forms.DecimalField: lambda f, **kw: serializers.DecimalField(
        max_digits=f.max_digits, decimal_places=f.decimal_places, **kw
    ),
    forms.DateField: lambda f, **kw: serializers.DateField(**kw),
    forms.DateTimeField: lambda f, **kw: serializers.DateTimeField(**kw),
    forms.ChoiceField: lambda f, **kw: serializers.ChoiceField(choices=f.choices, **kw),
    forms.MultipleChoiceField: lambda f, **kw: serializers.MultipleChoiceField(
        choices=f.choices, **kw
    ),
    forms.ModelChoiceField: lambda f, **kw: serializers.IntegerField(**kw),
    forms.ModelMultipleChoiceField: lambda f, **kw: serializers.ListField(
        child=serializers.IntegerField(), **kw
    ),
}


def _api_field(
    form_field: forms.Field, types: dict[type[forms.Field], FieldFactory]
) -> serializers.Field:
    factory = next(
        (types[klass] for klass in type(form_field).__mro__ if klass in types),
        FORM_FIELD_TYPES[forms.CharField],  # what a form field reads from an HTML form
    )
    return factory(
        form_field,
        required=form_field.required,
        allow_null=not form_field.required,
        help_text=form_field.help_text or form_field.label,
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def transition_input_serializer(
    workflow: Workflow, row: Transition, types: dict[type[forms.Field], FieldFactory]
) -> type[serializers.Serializer]:
    """The body of ``POST …/<action>/``: ``comment`` plus the fields of the action's form."""
    fields: dict[str, Any] = {
        "comment": serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=COMMENT_MAX_LENGTH,
            help_text=_("Why; kept in the request's history and shown to the other side."),
        )
    }
    if row.form is not None:
        fields.update({name: _api_field(f, types) for name, f in row.form.base_fields.items()})
    name = f"{_camel(workflow.kind)}{_camel(row.action)}Serializer"
    return type(name, (serializers.Serializer,), {**fields, "__doc__": row.label})


def _transition_endpoint(
    cls: type[TransitionViewSetMixin], row: Transition, types: dict[type[forms.Field], FieldFactory]
) -> Callable[..., Response]:
    """A viewset method for one table row, routed at ``…/<id>/<action>/``."""
    body = transition_input_serializer(cls.model.workflow, row, types)

    def endpoint(self: TransitionViewSetMixin, request: Request, pk: str | None = None):
        obj = self.get_object()
        # ``partial``: only JSON types are checked here; the form checks the rest (required
        # fields included) inside ``perform``, after the role and the status.
        payload = body(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        comment = data.pop("comment", "")
        perform(obj, row.action, actor=request.user, comment=comment, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data)

    endpoint.__name__ = endpoint.__qualname__ = f"{row.action}_transition"
    roles = ", ".join(sorted(row.roles))
    sources = ", ".join(sorted(row.sources))
    schema = extend_schema(
        summary=row.label,
        description=format_lazy(
            "{who}: {roles}. {when}: {sources}. {to}: {target}.",
            who=_("Who"),
            roles=roles,
            when=_("From"),
            sources=sources,
            to=_("To"),
            target=row.target or _("depends on the input"),
        ),
        request=body,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={
            200: cls.serializer_class,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    route = action(
        detail=True,
        methods=["post"],
        url_path=row.action,
        url_name=row.action.replace("_", "-"),
        name=row.label,
        filter_backends=[],
    )
    return schema(route(idempotent(endpoint)))


class TransitionViewSetMixin:
    """Adds ``POST …/<id>/<action>/`` for every row of ``model.workflow`` at class creation,
    and answers the core's domain errors as the contract says (``api_error``).

    A subclass that sets ``model`` (and ``serializer_class``, the 200 answer) gets one endpoint
    per action, so the API follows the table without a hand-written twin per action. Form field
    classes the defaults do not know are typed through ``transition_field_types``.
    """

    model: ClassVar[type[AccessRequest]]
    serializer_class: ClassVar[type[serializers.Serializer]]
    transition_field_types: ClassVar[dict[type[forms.Field], FieldFactory]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "model" not in cls.__dict__:
            return
        types = {**FORM_FIELD_TYPES, **cls.transition_field_types}
        for row in cls.model.workflow.transitions.values():
            endpoint = _transition_endpoint(cls, row, types)
            setattr(cls, endpoint.__name__, endpoint)

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(api_error(exc) or exc)


# --- The viewset ------------------------------------------------------------------------------


class AccessRequestViewSet(TransitionViewSetMixin, viewsets.ModelViewSet):
    """A request kind's resource: scoped reads, the requester's draft, actions, thread and files.

    Only the requester edits the content, and only while ``is_editable_draft`` (deleting: while
    a draft); staff act through the actions and the thread. Others who can see the request get
    403, and a request past its draft stage a 409 listing what may be done instead.
    """

    permission_classes = [IsAuthenticated]
    editing_actions: ClassVar[frozenset[str]] = frozenset({"update", "partial_update", "destroy"})

    def get_queryset(self) -> QuerySet:
        history = self.model._meta.get_field("history").related_model
        return (
            self.model.objects.visible_to(self.request.user)
            .select_related("requester", "institution")
            .prefetch_related(
                "collections",
                Prefetch("history", queryset=history.objects.select_related("actor")),
            )
            .annotate(comment_count=Count("comments", distinct=True))
            # Spelled out: a query with GROUP BY (the count) ignores Meta.ordering.
            .order_by(*self.model._meta.ordering)
        )

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

    def perform_create(self, serializer: serializers.ModelSerializer) -> None:
        serializer.save(requester=self.request.user)
        self._reload(serializer)

    def perform_update(self, serializer: serializers.ModelSerializer) -> None:
        serializer.save()
        self._reload(serializer)

    def _reload(self, serializer: serializers.ModelSerializer) -> None:
        """Answer with the annotations and prefetches of a read."""
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

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
        attachment_model = self.model._meta.get_field("attachments").related_model
        try:
            attachment = save_attachment(
                attachment_model,
                request=obj,
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
