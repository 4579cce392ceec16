"""``{% visit_calendar_url %}``: the month view's address for people who may open it, else
empty, so that pages shared with researchers link to it only for the institution's staff."""

from __future__ import annotations

from django import template
from django.urls import reverse

from collections_app.roles import handled_institution_ids, is_site_staff

register = template.Library()


@register.simple_tag(takes_context=True)
def visit_calendar_url(context: template.Context) -> str:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return ""
    if is_site_staff(user) or handled_institution_ids(user):
        return reverse("visits:calendar")
    return ""
