"""API error shapes of the contract (DESIGN.md §3).

DRF already answers 400 ``{field: [messages]}``, 401, 403, 404 and 429. This handler adds the
two cases DRF leaves as a 500:

- a Django ``ValidationError`` raised below the serializer (a model's ``clean()``, a service
  function) becomes the same 400 ``{field: [messages]}`` a serializer would give;
- a database integrity error caused by input (a duplicate code raced past validation) becomes
  a 409 with a readable ``detail``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, IntegrityError):
        return Response(
            {"detail": _("This conflicts with an existing record.")},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        errors = as_serializer_error(exc)
        if NON_FIELD_ERRORS in errors:
            errors[api_settings.NON_FIELD_ERRORS_KEY] = errors.pop(NON_FIELD_ERRORS)
        exc = ValidationError(errors)
    return drf_exception_handler(exc, context)
