"""Middleware guarding every request and response, whichever view answers it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .errors import error_response, too_large_detail

Handler = Callable[[HttpRequest], HttpResponse]

MULTIPART = "multipart/form-data"
#: A refused body is read and discarded up to this size, so that the answer reaches the client
#: and the connection stays usable (a server that closes a socket with unread data resets it,
#: and the client may never see the 413). Past it the server is left to close the connection.
DRAIN_MAX_BYTES = 64 * 1024 * 1024
DRAIN_CHUNK = 256 * 1024


def body_limit(request: HttpRequest) -> int | None:
    """The largest body accepted: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's own limit, which it
    raises as a bare 400 only when a view reads the body); uploads may add an attachment."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return None
    if request.content_type == MULTIPART:
        return limit + settings.ATTACHMENT_MAX_BYTES
    return limit


def content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def drain(request: HttpRequest, length: int) -> None:
    if length > DRAIN_MAX_BYTES:
        return
    try:
        while request.read(DRAIN_CHUNK):
            pass
    except OSError:  # the client went away: nothing left to keep usable
        pass


class RequestBodyLimitMiddleware:
    """A body over the limit is a 413 at once (JSON under /api/, a page elsewhere), before any
    view or middleware reads it, and the unread body is discarded."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = content_length(request)
        limit = body_limit(request)
        if limit is not None and length > limit:
            drain(request, length)
            return error_response(request, 413, too_large_detail())
        return self.get_response(request)
