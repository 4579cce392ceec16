"""``Idempotency-Key``: a retried write returns the first answer and does nothing twice.

For POST creates, transitions, comments and attachments (the handlers decorated with
``idempotent``). The header is optional; when sent:

- it is 1 to 255 printable ASCII characters (else 400), and belongs to the caller: keys of
  different users never meet. The IETF draft (draft-ietf-httpapi-idempotency-key-header)
  makes the header a Structured Field string, ``Idempotency-Key: "abc"``, while most clients
  send the bare ``abc``: both name the key ``abc``. A value that starts with a double quote is
  read as such a string (escapes included, spaces allowed inside), and malformed quoting is a
  400 saying what is wrong, rather than a key that silently differs from the intended one;
- the first request reserves the key in a row committed on its own, then runs; its answer
  (status and JSON body, whatever the status below 500) is stored in the same transaction as
  the request's changes, so either both happen or neither does. A 5xx stores nothing and
  frees the key, so the retry runs for real. If the database connection breaks while that
  transaction commits, a new connection is asked whether the answer was stored: if so, it is
  sent. Should the 500 come anyway, the retry with the key gets the committed answer, or runs
  for real if nothing was committed (a 409 while the database cannot say);
- the same key with the same request (method, path, query and body) gets the stored answer
  again with ``Idempotent-Replayed: true``, and nothing runs;
- the same key with a different request is a 422; while the first request is still running,
  a 409 (retry later). A reservation left without an answer for ``STALE_RESERVATION`` (its
  process died) is taken over;
- keys are kept for ``IdempotencyRecord.KEY_LIFETIME`` (24 hours), then purged by the
  ``accounts.purge_idempotency_keys`` task; an older key counts as new. The answer is kept
  as it was sent, so a secret shown once in it is shown again to a replay of its key.

A refusal is stored like a success: a request corrected after a 400 needs a new key.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import http_sf
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import IdempotencyRecord, User
from elvis.transactions import atomic_with_outcome, on_new_connection

from .schema import error_response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: A bare key: printable ASCII without spaces, not starting with a double quote (the quoted form).
KEY_PATTERN = re.compile(r"[\x21\x23-\x7e][\x21-\x7e]{0,254}")
KEY_MAX_LENGTH = 255
#: Either form, as the schema documents it: a bare key, or a Structured Field string whose
#: characters (an escaped ``\"`` or ``\\`` counting as one) are the 1 to 255 of the key.
HEADER_PATTERN = r'^(?:[!#-~][!-~]{0,254}|"(?:[ !#-\[\]-~]|\\["\\]){1,255}")$'
#: A reservation this old with no answer belongs to a request whose process died.
STALE_RESERVATION = timedelta(minutes=5)

Handler = Callable[..., Response]

IDEMPOTENCY_PARAMETERS = [
    OpenApiParameter(
        HEADER,
        {"type": "string", "pattern": HEADER_PATTERN},
        OpenApiParameter.HEADER,
        description=_(
            "Optional. A key of your choice (e.g. a UUID), unique per intended change: a retry "
            "with the same key and body returns the first answer and changes nothing again. "
            'Kept 24 hours. Bare (abc) or quoted as the IETF draft writes it ("abc"): both are '
            "the same key."
        ),
    ),
    OpenApiParameter(
        REPLAYED_HEADER,
        {"type": "string", "enum": ["true"]},
        OpenApiParameter.HEADER,
        description=_("Present when this answer is the stored one of an earlier request."),
        response=True,
    ),
]


class IdempotencyKeyInUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is in progress; retry later.")
    default_code = "idempotency_key_in_use"


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used for a different request; use a new key."
    )
    default_code = "idempotency_key_reused"


class _ReservationLost(Exception):
    """The key was taken over while the request ran (see ``STALE_RESERVATION``)."""


def idempotent(handler: Handler) -> Handler:
    """Honour ``Idempotency-Key`` on a viewset handler; apply below ``@action``/``mapping``.

    Document the header with ``extend_schema(parameters=IDEMPOTENCY_PARAMETERS)``.
    """

    @functools.wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        header = request.headers.get(HEADER)
        if header is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        record = _reserve(request, key_of(header))
        if record.response_status is not None:
            return _replay(record)

        def run() -> Response:
            response = handler(view, request, *args, **kwargs)
            if not _complete(record, response):
                raise _ReservationLost
            return response

        try:
            # A commit whose connection broke is answered if the record shows it went through.
            response = atomic_with_outcome(run, committed=lambda _response: _answered(record))
        except _ReservationLost:
            raise IdempotencyKeyInUse from None
        except Exception as exc:
            try:
                response = view.handle_exception(exc)
            except Exception:
                _release(record)
                raise
            _complete(record, response)
        return response

    return wrapper


def key_of(header: str) -> str:
    """The key an ``Idempotency-Key`` header names; a 400 for one that names none.

    ``"abc"`` (a Structured Field string, RFC 9651, as the IETF draft defines the header) and
    ``abc`` are the same key, so a client that follows the draft and one that does not can retry
    each other's requests.
    """
    if not header.lstrip(" ").startswith('"'):
        if not KEY_PATTERN.fullmatch(header):
            raise ValidationError(
                {HEADER: [_("Use 1 to 255 printable ASCII characters, without spaces.")]}
            )
        return header
    try:
        parsed = http_sf.parse(header.encode("latin-1"), tltype="item")
    except (UnicodeEncodeError, http_sf.StructuredFieldError) as exc:
        problem = str(exc) if isinstance(exc, http_sf.StructuredFieldError) else "not ASCII"
        raise ValidationError(
            {
                HEADER: [
                    _('A quoted key must be one Structured Field string, e.g. "abc": %(problem)s.')
                    % {"problem": problem}
                ]
            }
        ) from None
    # An item parses to (bare item, parameters); the typing covers every top-level type.
    key, parameters = cast("tuple[object, dict]", parsed)
    if not isinstance(key, str):
        raise ValidationError(
            {
                HEADER: [
                    _('A quoted key must be one Structured Field string, e.g. "abc": %(problem)s.')
                    % {"problem": "not a string"}
                ]
            }
        )
    if parameters:
        raise ValidationError(
            {HEADER: [_("Send the quoted key alone, without ;parameters after it.")]}
        )
    if not 1 <= len(key) <= KEY_MAX_LENGTH:
        raise ValidationError(
            {HEADER: [_("The key between the quotes must be 1 to 255 characters.")]}
        )
    return str(key)


def fingerprint(request: Request) -> str:
    """What makes two requests the same: method, path, query and body (keys in any order,
    uploads by content, so a multipart retry with a new boundary still matches)."""
    query = sorted(
        (name, value) for name, values in request.query_params.lists() for value in values
    )
    parts = [request.method, request.path, query, _canonical(request.data)]
    encoded = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _canonical(data: Any) -> Any:
    if isinstance(data, MultiValueDict):
        return {name: [_canonical(value) for value in data.getlist(name)] for name in data}
    if isinstance(data, UploadedFile):
        digest = hashlib.sha256()
        for chunk in data.chunks():
            digest.update(chunk)
        data.seek(0)
        return {"file": data.name, "sha256": digest.hexdigest()}
    return data


def _reserve(request: Request, key: str) -> IdempotencyRecord:
    """The caller's record for ``key``: a new reservation, or the finished earlier one.

    Raises 422 for a different request under the key, 409 while the first still runs.
    """
    digest = fingerprint(request)
    user = cast("User", request.user)  # ``idempotent`` reserves for signed-in callers only
    for _attempt in range(3):
        try:
            return atomic_with_outcome(
                lambda: IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    method=cast(str, request.method),  # a served request has one
                    path=request.path,
                    fingerprint=digest,
                ),
                committed=lambda record: IdempotencyRecord.objects.filter(pk=record.pk).exists(),
            )
        except IntegrityError:
            pass
        earlier = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if earlier is None:
            continue  # purged in between
        if _take_over(earlier):
            continue
        if earlier.fingerprint != digest:
            raise IdempotencyKeyReused
        if earlier.response_status is None:
            raise IdempotencyKeyInUse
        return earlier
    raise IdempotencyKeyInUse


def _take_over(record: IdempotencyRecord) -> bool:
    """Delete an expired record or an abandoned reservation (compare-and-set)."""
    now = timezone.now()
    expired = record.created_at <= now - IdempotencyRecord.KEY_LIFETIME
    abandoned = record.response_status is None and record.created_at <= now - STALE_RESERVATION
    if not (expired or abandoned):
        return False
    IdempotencyRecord.objects.filter(
        pk=record.pk, response_status=record.response_status, created_at=record.created_at
    ).delete()
    return True


def _complete(record: IdempotencyRecord, response: Response) -> bool:
    """Store the answer (or free the key after a 5xx); False if the reservation is gone."""
    if response.status_code >= 500:
        _release(record)
        return True
    body = None if response.data is None else json.loads(JSONRenderer().render(response.data))
    return bool(
        IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).update(
            response_status=response.status_code, response_body=body
        )
    )


def _answered(record: IdempotencyRecord) -> bool:
    """Whether the request's transaction, which stored its answer, committed (waiting for it
    while it still holds the record's row)."""
    answered = IdempotencyRecord.objects.select_for_update().filter(pk=record.pk)
    return answered.filter(response_status__isnull=False).exists()


def _release(record: IdempotencyRecord) -> None:
    """Free the key, unless an answer is stored (compare-and-set): on a new connection if the
    request's broke, or the retry would meet a 409 until the reservation is stale."""

    def free() -> None:
        IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()

    try:
        free()
    except DatabaseError:
        if transaction.get_connection().in_atomic_block:
            raise
        on_new_connection(free)


def _replay(record: IdempotencyRecord) -> Response:
    return Response(
        record.response_body, status=record.response_status, headers={REPLAYED_HEADER: "true"}
    )


def document_idempotency(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the 409 and 422 of operations taking the key."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            names = {parameter.get("name") for parameter in operation.get("parameters", [])}
            if HEADER not in names:
                continue
            responses = operation.setdefault("responses", {})
            in_progress = "A request with this Idempotency-Key is in progress."
            if "409" in responses:
                conflict = responses["409"]
                conflict["description"] = f"{conflict.get('description', '')} Or: {in_progress}"
            else:
                responses["409"] = error_response("Error", in_progress)
            responses.setdefault(
                "422", error_response("Error", "This Idempotency-Key was used for another request.")
            )
    return result
