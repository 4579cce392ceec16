"""Inviting colleagues: send, resend, revoke and accept an invitation to a role at an
institution.

The link carries a 256-bit random key (``inv_…``, made like API keys in ``accounts.tokens``);
the row keeps only its SHA-256, so the database never holds a working link. The e-mail goes
through the notifications outbox (written in this transaction, sent after commit, retried,
never lost), in the language of the invitee when they have an account, else of the inviter.
Every change is a compare-and-set or runs on the locked row, so a link is used once however
many tabs submit it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collections_app.models import Membership
from collections_app.roles import INSTITUTION_PEOPLE, coordinated_institution_ids, is_site_staff
from notifications.services import Guest, notify

from .models import Invitation
from .tokens import generate_key, hash_key

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from .models import User

KEY_MARKER = "inv_"
#: How long a link works, unless settings say otherwise (``INVITATION_LIFETIME``).
DEFAULT_LIFETIME = timedelta(days=14)
INVITED_EVENT = "membership.invited"
#: The roles a person can be invited to (API clients are systems, made in the admin).
INVITABLE_ROLES = INSTITUTION_PEOPLE


class InvitationUnusable(Exception):
    """The link no longer works: ``reason`` is the invitation's state (expired, revoked,
    accepted), for a page that says which."""

    def __init__(self, invitation: Invitation) -> None:
        super().__init__(invitation.state)
        self.invitation = invitation
        self.reason = invitation.state


def lifetime() -> timedelta:
    return getattr(settings, "INVITATION_LIFETIME", DEFAULT_LIFETIME)


def may_invite(user, institution_id: int) -> bool:
    """Site staff, and the institution's coordinators, manage its members."""
    return is_site_staff(user) or institution_id in coordinated_institution_ids(user)


def accept_path(key: str) -> str:
    return reverse("invitation", args=[key])


def find(key: str) -> Invitation | None:
    """The invitation whose link has this key, whatever its state, or None."""
    if not key.startswith(KEY_MARKER):
        return None
    return (
        Invitation.objects.select_related("institution", "invited_by")
        .filter(key_hash=hash_key(key))
        .first()
    )


def _send(invitation: Invitation, *, acting_user: User) -> None:
    """A new key for the invitation (the previous link stops working) and its e-mail."""
    key = generate_key(KEY_MARKER)
    now = timezone.now()
    invitation.key_hash = hash_key(key)
    invitation.sent_at = now
    invitation.expires_at = now + lifetime()
    invitation.save()
    account = get_user_model().objects.filter(email__iexact=invitation.email).first()
    recipient = account or Guest(email=invitation.email, language=acting_user.language)
    notify(
        [recipient],
        INVITED_EVENT,
        context={
            "invitation": invitation,
            "inviter": acting_user.get_full_name(),
            "institution": invitation.institution,
            "role": invitation.get_role_display(),
            "has_account": account is not None,
            "url": accept_path(key),
        },
    )


@transaction.atomic
def send_invitation(invitation: Invitation, *, acting_user: User) -> Invitation:
    """Save the new (unsaved) ``invitation`` from ``acting_user`` and e-mail its link."""
    if not may_invite(acting_user, invitation.institution_id):
        raise PermissionDenied
    invitation.email = get_user_model().objects.normalize_email(invitation.email).lower()
    invitation.invited_by = acting_user
    _send(invitation, acting_user=acting_user)
    return invitation


@transaction.atomic
def resend(invitation: Invitation, *, acting_user: User) -> bool:
    """A fresh link (and expiry) for an invitation not accepted or revoked; False otherwise."""
    if not may_invite(acting_user, invitation.institution_id):
        raise PermissionDenied
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at or locked.revoked_at:
        return False
    _send(locked, acting_user=acting_user)
    return True


def revoke(invitation: Invitation, *, acting_user: User) -> bool:
    """Revoke once (compare-and-set): True if this call revoked it. Accepted ones stay."""
    if not may_invite(acting_user, invitation.institution_id):
        raise PermissionDenied
    return bool(
        Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now(), revoked_by=acting_user)
    )


@transaction.atomic
def accept(invitation: Invitation, user: User) -> Membership:
    """Make ``user`` a member as invited, on the locked invitation; raises
    ``InvitationUnusable`` when the link no longer works. A membership that had ended is
    taken up again (its end date cleared); one in force is kept as it is."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.state != Invitation.State.PENDING:
        raise InvitationUnusable(locked)
    membership, created = Membership.objects.get_or_create(
        user=user, institution_id=locked.institution_id, role=locked.role
    )
    if not created and membership.ends_on is not None:
        membership.ends_on, membership.ended_by = None, None
        membership.save(update_fields=["ends_on", "ended_by"])
    locked.accepted_at, locked.accepted_by = timezone.now(), user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def unusable_message(reason: str) -> Promise:
    """What the page of a link that no longer works says, by the invitation's state."""
    messages: dict[str, Promise] = {
        Invitation.State.EXPIRED: _(
            "This invitation has expired. Ask the coordinator who invited you to send it again."
        ),
        Invitation.State.REVOKED: _("This invitation was withdrawn by the institution."),
        Invitation.State.ACCEPTED: _(
            "This invitation has already been used. Log in with the account that accepted it."
        ),
    }
    return messages.get(reason, _("This invitation link is not valid."))
