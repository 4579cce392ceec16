"""Middleware guarding every request and response, whichever view answers it."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.core.validators import ProhibitNullCharactersValidator
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.utils.cache import patch_vary_headers

from .errors import early_error_response, is_api, too_large_detail

Handler = Callable[[HttpRequest], HttpResponse]

MULTIPART = "multipart/form-data"
#: A refused body is read and discarded up to this size, so that the answer reaches the client
#: and the connection stays usable (a server that closes a socket with unread data resets it,
#: and the client may never see the 413). Past it the server is left to close the connection.
DRAIN_MAX_BYTES = 64 * 1024 * 1024
DRAIN_CHUNK = 256 * 1024


#: Paths that take uploads larger than an attachment, and the setting that limits them there.
_large_uploads: list[tuple[re.Pattern[str], str]] = []


def allow_large_uploads(path_pattern: str, setting: str) -> None:
    """Let multipart bodies to paths matching ``path_pattern`` (a regular expression matched
    from the path's start) be as large as the setting named (read on every request); the view
    still checks its own files. E.g. digitisation masters of several hundred MB."""
    _large_uploads.append((re.compile(path_pattern), setting))


def upload_limit(request: HttpRequest) -> int:
    """The largest file a multipart body to this path may carry."""
    for pattern, setting in _large_uploads:
        if pattern.match(request.path_info):
            return max(getattr(settings, setting), settings.ATTACHMENT_MAX_BYTES)
    return settings.ATTACHMENT_MAX_BYTES


def body_limit(request: HttpRequest) -> int | None:
    """The largest body accepted: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django's own limit, which it
    raises as a bare 400 only when a view reads the body); uploads may add an attachment, or
    a larger file where ``allow_large_uploads`` says so."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return None
    if request.content_type == MULTIPART:
        return limit + upload_limit(request)
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
            return early_error_response(request, 413, too_large_detail)
        return self.get_response(request)


NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", MULTIPART)


def nul_message() -> str:
    return str(ProhibitNullCharactersValidator.message)


def _fields_with_nul(data: QueryDict) -> list[str] | None:
    """Names of the fields of ``data`` whose values hold a NUL, or None when a name does."""
    fields = []
    for name, values in data.lists():
        if NUL in name:
            return None
        if any(isinstance(value, str) and NUL in value for value in values):
            fields.append(name)
    return fields


class NulCharacterMiddleware:
    """A NUL character in the path, the query string, a form field or a cookie is a 400 before
    any view runs.

    PostgreSQL text cannot hold NUL: every filter, search box and lookup that passed one to the
    database ended in a 500 (``DataError``). No legitimate input contains it, so it is refused
    once here rather than in every form, filter and admin search. Under /api/ the answer names
    the parameters, ``{name: [message]}``, like any invalid filter (DESIGN.md §3); JSON bodies
    are checked by the API's parser (``elvis.api.parsers``).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        if refusal is None:
            return self.get_response(request)

        def named() -> dict[str, list[str]]:
            return {field: [nul_message()] for field in refusal}

        return early_error_response(request, 400, nul_message, named if refusal else None)

    def refusal(self, request: HttpRequest) -> list[str] | None:
        """None if the request is clean; else the fields to name (empty: name none)."""
        if NUL in request.path_info:
            return []
        if any(NUL in value for value in request.COOKIES.values()):
            return []
        sources = [request.GET]
        if request.method == "POST" and request.content_type in FORM_TYPES:
            # (Uploads' file names need no check: Django drops unprintable characters.)
            sources.append(request.POST)
        named: list[str] = []
        for data in sources:
            fields = _fields_with_nul(data)
            if fields is None:
                return []
            named += [field for field in fields if field not in named]
        return named or None


PRIVATE = "private, no-store"
#: What an API answer depends on besides its URL: the credentials and the negotiated format.
API_VARY = ("Accept", "Authorization", "Cookie")


def has_credentials(request: HttpRequest) -> bool:
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)  # absent when answered before authentication ran
    return bool(user is not None and user.is_authenticated)


class PrivateCacheMiddleware:
    """Nothing shown to a signed-in user or an API client is kept by a cache.

    Any answer to a request with credentials (a session's user, or an ``Authorization``
    header) gets ``Cache-Control: private, no-store`` unless its view set its own (e.g.
    attachment downloads, the admin's ``never_cache``). API answers also vary by
    ``Authorization``, ``Cookie`` and ``Accept``, so a shared cache never hands one caller's
    answer to another.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_api(request):
            patch_vary_headers(response, API_VARY)
        if "Cache-Control" not in response and has_credentials(request):
            response["Cache-Control"] = PRIVATE
        return response


#: What a view's ``csp`` decorators leave on its response: such a response's policy is its own.
_POLICY_OF_ITS_OWN = tuple(
    f"_csp_{part}{suffix}" for part in ("config", "update", "replace") for suffix in ("", "_ro")
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, writing the headers of the settings' policy from text built once.

    django-csp builds the policy's text for every response: the same text each time, unless a
    view's decorator changed the policy or the page used a nonce (neither of which ELViS
    does today). Building it cost about a twentieth of a specimen list request's CPU. Such
    responses still take django-csp's own path; every other one gets the text built for the
    current settings (``_settings_headers``, built again when the settings change, as tests
    override them), under django-csp's own rules: not over a header the view set, not on an
    exempt response or an excluded path, none on a 404 or 500 page while ``DEBUG``.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _POLICY_OF_ITS_OWN
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (500, 404):
            return response
        for header, text, exempt, excluded in _settings_headers():
            if (
                text
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(excluded)
            ):
                response[header] = text
        # As django-csp: a nonce asked for after the header is written is an error, not a
        # nonce the page's policy never names.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


@functools.cache
def _settings_headers() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(header, its text, the response attribute exempting it, path prefixes excluded) of the
    settings' policy and report-only policy, as django-csp builds and applies them."""
    headers = []
    for header, setting, exempt, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
    ):
        policy = getattr(settings, setting, None) or {}
        excluded = tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())
        headers.append((header, build_policy(report_only=report_only), exempt, excluded))
    return tuple(headers)


@receiver(setting_changed)
def _forget_settings_headers(setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_headers.cache_clear()
