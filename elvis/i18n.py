"""Translation helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise, lazy


def _interpolate(template: str | Promise, params: Mapping[str, Any]) -> str:
    return str(template) % params


#: ``template % params``, done when the text is shown, not when it is made: a message made in
#: one language (the actor's request, a worker) is read by each recipient in their own.
interpolate_lazy = lazy(_interpolate, str)
