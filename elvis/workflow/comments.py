"""Messages on a request's thread, between the requester and the institution's staff."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elvis.i18n import interpolate_lazy

from . import events
from .errors import ActionForbidden
from .models import AccessRequest, Comment

MAX_LENGTH = 10_000


def post_comment(access_request: AccessRequest, *, author, body: str) -> Comment:
    """Add a message and tell the other side (``<kind>.commented``) after commit.

    Only the requester and the institution's staff take part; callers check visibility first
    (an invisible request is a 404 for them, not a 403).
    """
    if not access_request.actor_roles(author):
        raise ActionForbidden(_("You may not write on this request."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write a message.")]})
    if len(body) > MAX_LENGTH:
        raise ValidationError({"body": [_("At most %(n)d characters.") % {"n": MAX_LENGTH}]})
    with transaction.atomic():
        comment = access_request.comments.create(author=author, body=body)
        events.emit(
            f"{access_request.kind.name}.commented",
            access_request,
            actor=author,
            message=interpolate_lazy(
                gettext_lazy("%(author)s wrote: %(body)s"),
                {"author": author.get_full_name(), "body": body},
            ),
        )
    return comment
