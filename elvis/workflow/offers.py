"""Collections that stop accepting requests: what every face says about them.

A collection offers kinds of access (``accepts_loans`` …) and may stop accepting requests for
a while (``accepting_requests``); ``RequestKind.offered`` combines both. New choices are limited
to the collections offered (forms, API); a draft saved earlier may still name one that has
stopped since, and its submission is refused here for every kind and face alike (``perform``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from collections_app.models import Collection

    from .models import AccessRequest


def not_accepting_message(collections: Iterable[Collection], things: str) -> str:
    """ "NHM:ENT is not accepting loan requests at the moment: …" for a field error."""
    codes = ", ".join(f"{c.institution.code}:{c.code}" for c in collections)
    return _(
        "Not accepting %(things)s at the moment: %(codes)s. Remove it from the request, or ask "
        "the institution when it opens again."
    ) % {"things": things, "codes": codes}


def closed_collections(request: AccessRequest) -> dict[str, list[str]]:
    """``{"collections": [message]}`` when the request names a collection that no longer takes
    its kind's requests, else ``{}``."""
    kind = request.kind
    closed = list(
        request.collections.exclude(kind.offered()).select_related("institution").order_by("pk")
    )
    if not closed:
        return {}
    return {"collections": [not_accepting_message(closed, kind.label_plural)]}
