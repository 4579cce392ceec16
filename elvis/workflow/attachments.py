"""Attachment checks shared by every face: PDF or image only, size-limited, type sniffed.

The declared content type and the file name are never trusted: the bytes decide. PDFs are
recognised by their header, images by Pillow actually parsing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from .errors import ActionForbidden

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "TIFF": "image/tiff", "WEBP": "image/webp"}
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
    "image/webp": ".webp",
}


class AttachmentTooLarge(ValidationError):
    """Raised for files over ``ATTACHMENT_MAX_BYTES``; the API answers it with 413."""


@dataclass(frozen=True)
class SniffedFile:
    content_type: str
    extension: str


def max_bytes() -> int:
    return settings.ATTACHMENT_MAX_BYTES


def sniff(upload: UploadedFile) -> SniffedFile:
    """Check size and real type of an upload; raises ``ValidationError`` with a clear message."""
    if upload.size is not None and upload.size > max_bytes():
        raise AttachmentTooLarge(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes())},
            code="too_large",
        )
    if not upload.size:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return SniffedFile("application/pdf", ".pdf")
    try:
        with Image.open(upload) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = None
    finally:
        upload.seek(0)
    if kind not in IMAGE_TYPES:
        raise ValidationError(
            _("Only PDF documents and images (PNG, JPEG, TIFF, WebP) can be attached."),
            code="file_type",
        )
    content_type = IMAGE_TYPES[kind]
    return SniffedFile(content_type, EXTENSIONS[content_type])


def save_attachment(access_request, *, upload: UploadedFile, uploaded_by, description: str = ""):
    """Validate ``upload`` and store it as an attachment of ``access_request`` (in its kind's
    attachment model). Only the requester and the institution's side may attach; callers
    check visibility first."""
    if not access_request.actor_roles(uploaded_by):
        raise ActionForbidden(_("You may not add files to this request."))
    sniffed = sniff(upload)
    model = type(access_request)._meta.get_field("attachments").related_model
    attachment = model(
        request=access_request,
        original_name=(upload.name or "file")[-255:],
        content_type=sniffed.content_type,
        size=upload.size,
        uploaded_by=uploaded_by,
        description=description,
    )
    attachment.file.save(f"upload{sniffed.extension}", upload, save=False)
    attachment.save()
    return attachment


def attachment_response(attachment) -> FileResponse:
    """Stream a stored attachment as a download. Callers check visibility first.

    Served as an attachment under its original name, never rendered by the browser
    (nosniff, a sandboxing CSP) and never cached by shared caches.
    """
    try:
        handle = attachment.file.open("rb")
    except OSError as exc:
        raise Http404(_("The file is no longer stored.")) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
