"""``{% kind_url "detail" pk %}``: a URL of the page's request kind (``kind`` in the context),
so that the core's templates serve every kind's namespace."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def kind_url(context: template.Context, name: str, *args: object) -> str:
    return reverse(f"{context['kind'].url_namespace}:{name}", args=args)
