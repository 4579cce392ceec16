"""A signed-in user's preferred language for the pages they see."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class PreferredLanguageMiddleware:
    """Activate the user's preferred language (profile), when they chose one.

    ``LocaleMiddleware`` runs before authentication, so it can only go by the language cookie
    and the browser's ``Accept-Language``; once the user is known, their own choice wins, on
    every device they log in from. ``LocaleMiddleware`` still sets ``Content-Language`` and
    ``Vary`` on the way out, from the language active then.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "preferred_language", "") if user is not None else ""
        if language and user is not None and user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
