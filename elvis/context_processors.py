"""Navigation facts every page needs; lazy, so pages that do not show them pay nothing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    from elvis.admin import may_use_admin
    from notifications.models import Notification

    return {
        "may_use_admin": SimpleLazyObject(lambda: may_use_admin(user)),
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.for_user(user).unread().count()
        ),
    }
