"""Private, revocable iCalendar subscriptions of confirmed visits (RFC 5545).

A feed's URL carries a random token (``secrets.token_urlsafe(32)``, 256 bits) and is the only
credential a calendar program can send, so the database keeps only the token's SHA-256 (as
``accounts.tokens`` does for API keys): the URL is shown once, when the feed is made, and a
leaked database or backup subscribes no one. A plain hash suffices for a random key that long.

Rights are checked twice: when a feed is made (who may follow which institution or facility),
and again at every fetch, against the owner's rights at that moment — a curator who left the
institution, a deactivated account or a revoked feed all get the same 404 as a token that never
existed, so a URL tells nothing about the feed behind it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from collections_app.models import Facility, Institution
from collections_app.roles import handled_institution_ids, is_site_staff

from . import ical
from .models import CalendarFeed

Scope = CalendarFeed.Scope

#: Visits that ended longer ago than this are left out: calendars keep what they have seen.
PAST_WINDOW = timedelta(days=365)
# What a token can look like (``token_urlsafe(32)`` gives 43 characters); anything else is a
# 404 before any query.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,128}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(token: str) -> str:
    """The absolute subscription URL, for calendar programs outside the site."""
    return f"{settings.SITE_URL.rstrip('/')}{reverse('visits:feed', args=[token])}"


def institutions_for(user) -> QuerySet[Institution]:
    """The institutions whose visits ``user`` may follow: those whose requests they handle."""
    institutions = Institution.objects.order_by("name")
    if is_site_staff(user):
        return institutions
    return institutions.filter(pk__in=handled_institution_ids(user))


def facilities_for(user) -> QuerySet[Facility]:
    """The facilities of those institutions."""
    facilities = Facility.objects.select_related("institution").order_by(
        "institution__name", "name"
    )
    if is_site_staff(user):
        return facilities
    return facilities.filter(institution_id__in=handled_institution_ids(user))


def _may_follow(user, institution_id: int | None) -> bool:
    if not (user and user.is_active and institution_id):
        return False
    return is_site_staff(user) or institution_id in handled_institution_ids(user)


def may_use(feed: CalendarFeed) -> bool:
    """Whether the owner may see this feed now (rights change after a feed is made)."""
    owner = feed.owner
    if not owner.is_active:
        return False
    if feed.scope == Scope.RESEARCHER:
        return True
    if feed.scope == Scope.INSTITUTION:
        return _may_follow(owner, feed.institution_id)
    if feed.scope == Scope.FACILITY:
        return feed.facility is not None and _may_follow(owner, feed.facility.institution_id)
    return False


def create_feed(
    owner,
    scope: str,
    *,
    institution: Institution | None = None,
    facility: Facility | None = None,
) -> tuple[CalendarFeed, str]:
    """A new feed and its token, which is not stored and cannot be shown again.

    Raises ``PermissionDenied`` when ``owner`` may not follow what the feed names (a forged
    form names anything; the form's choices are only the first line).
    """
    feed = CalendarFeed(owner=owner, scope=scope)
    if scope == Scope.INSTITUTION and institution is not None:
        feed.institution = institution
    elif scope == Scope.FACILITY and facility is not None:
        feed.facility = facility
    elif scope != Scope.RESEARCHER:
        raise PermissionDenied
    if not may_use(feed):
        raise PermissionDenied
    token = new_token()
    feed.token = hash_token(token)
    feed.save()
    return feed, token


def revoke(feed: CalendarFeed) -> bool:
    """Revoke once (compare-and-set): True if this call revoked it."""
    now = timezone.now()
    revoked = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if revoked:
        feed.revoked_at = now
    return bool(revoked)


def find_feed(token: str) -> CalendarFeed | None:
    """The usable feed ``token`` opens, or None (unknown, revoked, or its owner may not)."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    feed = (
        CalendarFeed.objects.select_related("owner", "institution", "facility__institution")
        .filter(token=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not may_use(feed):
        return None
    return feed


def visits_of(feed: CalendarFeed) -> QuerySet:
    """The confirmed visits (cancelled ones included) the feed shows, in a bounded window."""
    visits = ical.feed_visits().filter(confirmed_end__gte=timezone.localdate() - PAST_WINDOW)
    if feed.scope == Scope.INSTITUTION:
        return visits.filter(institution_id=feed.institution_id)
    if feed.scope == Scope.FACILITY:
        return visits.filter(facility_requests__facility_id=feed.facility_id)
    return visits.filter(requester_id=feed.owner_id)


def feed_name(feed: CalendarFeed) -> str:
    """What the calendar program calls the subscription."""
    if feed.scope == Scope.INSTITUTION:
        return _("ELViS visits: %(name)s") % {"name": cast("Institution", feed.institution).name}
    if feed.scope == Scope.FACILITY:
        facility = cast("Facility", feed.facility)  # the scope's own field is set
        return _("ELViS visits: %(name)s") % {
            "name": f"{facility.name} ({facility.institution.name})"
        }
    return _("ELViS: my visits")


@require_safe
def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """``GET /visits/feeds/<token>.ics``: no login, the token is the credential."""
    feed = find_feed(token)
    if feed is None:
        raise Http404
    response = HttpResponse(
        ical.calendar(visits_of(feed), name=feed_name(feed)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="elvis-visits.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
