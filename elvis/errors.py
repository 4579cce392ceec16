"""Error answers outside the views: JSON ``{"detail": …}`` under ``/api/`` (DESIGN.md §3), a
page everywhere else.

Used by the request-guarding middleware (``elvis.middleware``) and as Django's ``handler400``,
which Django calls for errors it raises itself before any view runs: a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``RequestDataTooBig``, answered 413 here), too many form fields,
a malformed multipart body, a disallowed ``Host``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _

API_PREFIX = "/api/"

TEMPLATES = {400: "400.html", 413: "413.html", 503: "503.html"}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def error_response(
    request: HttpRequest, status: int, detail: str, *, errors: dict | None = None
) -> HttpResponse:
    """``status`` with ``detail``: the API's JSON body (``errors`` in place of ``{"detail"}``
    when given: field errors), or the site's page for that status."""
    response: HttpResponse
    if is_api(request):
        response = JsonResponse(errors or {"detail": detail}, status=status)
    else:
        template = loader.get_template(TEMPLATES.get(status, "400.html"))
        response = HttpResponse(template.render({"detail": detail}, request), status=status)
    # Answered before CommonMiddleware would add it: without a length an HTTP/1.1 server must
    # close the connection after the body.
    response.headers["Content-Length"] = str(len(response.content))
    return response


def early_error_response(
    request: HttpRequest,
    status: int,
    detail: Callable[[], str],
    errors: Callable[[], dict] | None = None,
) -> HttpResponse:
    """``error_response`` for a middleware that answers before ``LocaleMiddleware`` has
    chosen the request's language: written in the language it would choose (the language
    cookie, ``Accept-Language``), not in the one a previous request left active in the same
    thread. ``detail`` and ``errors`` are called once that language is active."""
    with translation.override(translation.get_language_from_request(request)):
        return error_response(request, status, detail(), errors=errors() if errors else None)


def too_large_detail() -> str:
    return _("The request body is too large.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: a body too large is a 413; anything else a 400."""
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413, too_large_detail())
    return error_response(request, 400, _("The request could not be understood."))
