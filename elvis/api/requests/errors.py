"""The contract's answers to the workflow core's domain errors, and their documentation.

403 forbidden, 409 wrong state (with ``status`` and ``allowed_actions``), 409 conflict, 413 too
large. A Django ``ValidationError`` from a form or service becomes 400 ``{field: [messages]}``
in the project's exception handler (``elvis.api.exceptions``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from elvis.workflow.attachments import AttachmentTooLarge
from elvis.workflow.errors import InvalidTransition, WorkflowError


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
