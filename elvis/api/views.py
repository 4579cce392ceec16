"""API-wide views."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # like DRF's views: a POST to a wrong URL is a 404, not a CSRF page
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any URL under /api/v1/ that matches no route: a JSON 404, like every other API error
    (not the site's HTML page), e.g. ``/api/v1/loan-requests/0.5/``."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
