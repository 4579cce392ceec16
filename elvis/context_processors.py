"""Navigation facts every page needs: one "My …" link per registered request kind, and lazy
counts, so that pages that do not show them pay nothing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from elvis.workflow.kinds import all_kinds


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    from elvis.admin import may_use_admin
    from notifications.models import Notification

    return {
        "my_request_pages": [
            {
                "namespace": kind.url_namespace,
                "url": reverse(f"{kind.url_namespace}:list"),
                "label": _("My %(things)s") % {"things": kind.label_plural},
            }
            for kind in all_kinds()
        ],
        "may_use_admin": SimpleLazyObject(lambda: may_use_admin(user)),
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.for_user(user).unread().count()
        ),
    }
