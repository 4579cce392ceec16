"""Storing a capture, the one way every face (API, admin, the ingest command) adds a master.

The file is copied into storage first (it may be several hundred MB: no row lock is held
while it is written), then, in one transaction on the locked request, the request is checked
to be in progress, the Capture row is written and the pipeline told (``capture_stored``,
which queues the processing after commit). If that transaction fails, the copied file is
removed again: no master is stored without its row.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from elvis.workflow.attachments import AttachmentTooLarge
from elvis.workflow.errors import ActionForbidden, InvalidTransition
from elvis.workflow.table import CURATOR

from . import pipeline
from .models import Capture, DigitisationItem, DigitisationRequest, DigitisationStatus


class CaptureTooLarge(AttachmentTooLarge):
    """Over ``DIGITISATION_MAX_UPLOAD_BYTES``; the API answers it with 413."""


def max_upload_bytes() -> int:
    return settings.DIGITISATION_MAX_UPLOAD_BYTES


def check_may_add(request: DigitisationRequest, user: Any) -> None:
    """Captures are added by the institution's side, while the request is in progress."""
    if CURATOR not in request.actor_roles(user):
        raise ActionForbidden(_("Only the institution's staff add captures."))
    if request.status != DigitisationStatus.IN_PROGRESS:
        raise InvalidTransition(
            _("Captures are added while the request is in progress; it is %(status)s.")
            % {"status": request.get_status_display().lower()},
            status=request.status,
            allowed_actions=request.allowed_actions(user),
        )


def check_size(size: int | None) -> None:
    if size is not None and size > max_upload_bytes():
        raise CaptureTooLarge(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_upload_bytes())},
            code="too_large",
        )
    if not size:
        raise ValidationError({"file": [_("The file is empty.")]}, code="empty")


def store_capture(item: DigitisationItem, file: File, *, uploaded_by: Any, name: str) -> Capture:
    """Store ``file`` as a new capture of ``item`` and queue its processing.

    Raises ``ActionForbidden`` (not the institution's side), ``InvalidTransition`` (the request
    is not in progress), ``CaptureTooLarge`` or ``ValidationError`` (empty). Whether the bytes
    are an image is the processing's question, answered on the item.
    """
    check_may_add(item.request, uploaded_by)
    check_size(file.size)
    capture = Capture(
        item=item, original_name=(name or "capture")[-255:], size=file.size, uploaded_by=uploaded_by
    )
    capture.file.save(name or "capture", file, save=False)
    try:
        with transaction.atomic():
            request = DigitisationRequest.objects.select_for_update().get(pk=item.request_id)
            check_may_add(request, uploaded_by)
            capture.save()
            pipeline.capture_stored(capture)
    except BaseException:
        capture.file.delete(save=False)
        raise
    return capture
