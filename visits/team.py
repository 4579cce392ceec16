"""The visiting team: inviting co-visitors when a visit is submitted, and the page where each
confirms by the link in their invitation.

A co-visitor usually has no account, so the link's token (``CoVisitor.token``, a random UUID4
that is only ever e-mailed to that address) is the credential: the page needs no login, shows
nothing but what the invitation already said, and never the other visitors' addresses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from notifications.services import Guest, notify

from .models import CoVisitor, VisitRequest, VisitStatus

INVITED_EVENT = "visit.co_visitor_invited"

#: A visit in one of these states is off: its team has nothing left to confirm.
OFF_STATUSES = frozenset({VisitStatus.WITHDRAWN, VisitStatus.REJECTED, VisitStatus.CANCELLED})


def accounts_by_email(emails: Iterable[str]) -> dict[str, Any]:
    """Active users with one of ``emails`` (case-insensitive), keyed by the lower-cased address:
    a co-visitor who has an account hears in the app as well as by e-mail."""
    same_address = Q()
    for email in emails:
        same_address |= Q(email__iexact=email)
    if not same_address:
        return {}
    users = get_user_model().objects.filter(same_address, is_active=True)
    return {user.email.lower(): user for user in users}


def recipient(member: CoVisitor, accounts: dict[str, Any]) -> Any:
    """The co-visitor's account when they have one, else a guest at the address given, written
    to in the language of the applicant who named them (a team likely shares one)."""
    return accounts.get(member.email.lower()) or Guest(
        email=member.email, full_name=member.name, language=member.visit.requester.language
    )


def confirm_url(member: CoVisitor) -> str:
    return reverse("visits:confirm", args=[member.token])


def replace_team(visit: VisitRequest, rows: list[dict[str, Any]]) -> None:
    """Make the draft's co-visitors ``rows`` (``name``, ``email``, ``orcid``), as the API's
    nested list replaces them: someone kept (same address, any case) keeps their row, hence
    their invitation, link and confirmation; someone dropped loses their row (their link then
    404s); someone new is invited at the next submit."""
    kept = {member.email.lower(): member for member in visit.co_visitors.all()}
    wanted = {row["email"].lower() for row in rows}
    CoVisitor.objects.filter(pk__in=[m.pk for e, m in kept.items() if e not in wanted]).delete()
    for row in rows:
        member = kept.get(row["email"].lower())
        if member is None:
            CoVisitor.objects.create(visit=visit, **row)
            continue
        for field, value in row.items():
            setattr(member, field, value)
        member.save(update_fields=list(row))


def invite_co_visitors(visit: VisitRequest) -> list[CoVisitor]:
    """E-mail the confirmation link to every co-visitor not invited yet; returns those invited.

    Runs inside ``submit`` (``visits.workflow``), on the locked visit: a re-submit after changes
    were requested invites only the co-visitors added since, and a submit that fails later rolls
    back both ``invited_at`` and the e-mails (they leave after commit). Each row is claimed with
    a compare-and-set, so no one is invited twice even if two submits raced past the lock.
    """
    pending = list(visit.co_visitors.filter(invited_at__isnull=True))
    if not pending:
        return []
    accounts = accounts_by_email(member.email for member in pending)
    now = timezone.now()
    invited = []
    for member in pending:
        claimed = CoVisitor.objects.filter(pk=member.pk, invited_at__isnull=True).update(
            invited_at=now
        )
        if not claimed:
            continue
        member.invited_at = now
        notify(
            [recipient(member, accounts)],
            INVITED_EVENT,
            target=visit,
            context={
                "request": visit,
                "visit": visit,
                "co_visitor": member,
                "applicant": visit.requester.get_full_name() or _("the applicant"),
                "url": confirm_url(member),
            },
        )
        invited.append(member)
    return invited


@method_decorator(never_cache, name="dispatch")
class ConfirmView(View):
    """``/visits/confirm/<token>/``: a co-visitor confirms they are part of the visit.

    No login: the token is the credential. Unknown tokens (and tokens never sent, or of a
    co-visitor since removed from the team) are 404. A visit that is off (withdrawn, rejected,
    cancelled) says so and refuses the POST with a 400. Confirming twice changes nothing.
    The answer is never cached: the URL is a credential.
    """

    template_name = "visits/confirm.html"

    def get_member(self, token: UUID) -> CoVisitor:
        member = (
            CoVisitor.objects.select_related("visit__institution", "visit__requester")
            .filter(token=token, invited_at__isnull=False)
            .first()
        )
        if member is None:
            raise Http404(_("This confirmation link is not valid."))
        return member

    def page(self, member: CoVisitor, *, status: int = 200) -> HttpResponse:
        visit = member.visit
        return render(
            self.request,
            self.template_name,
            {
                "member": member,
                "visit": visit,
                "applicant": visit.requester.get_full_name() or _("the applicant"),
                "is_off": visit.status in OFF_STATUSES,
            },
            status=status,
        )

    def get(self, request: HttpRequest, token: UUID) -> HttpResponse:
        return self.page(self.get_member(token))

    def post(self, request: HttpRequest, token: UUID) -> HttpResponse:
        member = self.get_member(token)
        if member.visit.status in OFF_STATUSES:
            return self.page(member, status=400)
        # Compare-and-set: the first confirmation's time stands.
        CoVisitor.objects.filter(pk=member.pk, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        return redirect(confirm_url(member))
