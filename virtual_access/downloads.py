"""Who may download a delivered package, and the private links that let one do it without an
account (a colleague, a download manager, a script).

A link's URL carries a random token (``secrets.token_urlsafe(32)``, 256 bits); the database
keeps only its SHA-256, so the URL is shown once, when the link is made, and a leaked backup
downloads nothing. A link expires (``DIGITISATION_LINK_DAYS``, 30 days by default) and can be
revoked; every use is logged (time, address, browser). An unknown, expired or revoked token, or
one whose request has no package any more, gets the same 404 page: a URL tells nothing about
the link behind it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils import timezone

from elvis.clientip import client_ip

from .models import (
    DigitisationRequest,
    DigitisationStatus,
    Download,
    DownloadLink,
    PackageStatus,
)

#: What a token can look like (``token_urlsafe(32)`` gives 43 characters); anything else is a
#: 404 before any query.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,128}")
DOWNLOADABLE = (DigitisationStatus.DELIVERED, DigitisationStatus.CLOSED)


def link_days() -> int:
    return int(getattr(settings, "DIGITISATION_LINK_DAYS", 30))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    """The absolute URL, for use outside the site (shown once)."""
    return settings.SITE_URL.rstrip("/") + reverse("virtual_access:link", args=[token])


def has_package(request: DigitisationRequest) -> bool:
    """Delivered (or closed after delivery) with a built package on file."""
    return (
        request.status in DOWNLOADABLE
        and request.package_status == PackageStatus.BUILT
        and bool(request.package)
    )


def may_manage(request: DigitisationRequest, user) -> bool:
    """The requester and the institution's staff make and revoke links (a reviewer who may
    read the request may not hand its data out)."""
    return bool(request.actor_roles(user))


def create_link(request: DigitisationRequest, user) -> tuple[DownloadLink, str]:
    """A new link and its token (the only time the token exists in clear)."""
    token = secrets.token_urlsafe(32)
    link = DownloadLink.objects.create(
        request=request,
        token_hash=hash_token(token),
        created_by=user,
        expires_at=timezone.now() + timedelta(days=link_days()),
    )
    return link, token


def revoke(link: DownloadLink) -> bool:
    """Revoke once (compare-and-set): ``False`` when it already was."""
    now = timezone.now()
    done = DownloadLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now)
    if done:
        link.revoked_at = now
    return bool(done)


def usable_link(token: str) -> DownloadLink | None:
    """The link behind ``token`` if it may be used now, else ``None`` (whatever the reason)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    link = (
        DownloadLink.objects.filter(
            token_hash=hash_token(token), revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("request", "created_by")
        .first()
    )
    if link is None or not link.created_by.is_active or not has_package(link.request):
        return None
    return link


def log_download(link: DownloadLink, http_request: HttpRequest) -> Download:
    address = client_ip(http_request) or None
    agent = http_request.META.get("HTTP_USER_AGENT", "")[:255]
    return Download.objects.create(link=link, address=address, user_agent=agent)


def package_response(request: DigitisationRequest) -> FileResponse:
    """The package, streamed, as an attachment named after the request, never cached."""
    response = FileResponse(
        request.package.open("rb"),
        as_attachment=True,
        filename=f"{request.reference}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    if request.package_sha256:
        response["X-Checksum-SHA256"] = request.package_sha256
    return response
