"""API error shapes of the contract (DESIGN.md §3).

DRF already answers 400 ``{field: [messages]}``, 401, 403, 404 and 429. This handler adds the
one case DRF leaves as a 500: database integrity errors caused by input (a duplicate code raced
past validation) become a 409 with a readable ``detail``.
"""

from __future__ import annotations

from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, IntegrityError):
        return Response(
            {"detail": _("This conflicts with an existing record.")},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
