"""A loan within its collections' terms (``Collection.loan_*``): the longest loan period, and
permits where a collection lends only with them.

The request form checks the period as it is typed; the submission (``workflow.check_complete``,
every face) checks both on what is saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from collections_app.models import Collection

    from .models import Permit


def _codes(collections: Iterable[Collection]) -> str:
    return ", ".join(collection.code for collection in collections)


def period_errors(
    collections: Iterable[Collection], start: date | None, end: date | None
) -> dict[str, list[StrOrPromise]]:
    """``{"requested_end": [...]}`` when the period is longer than the smallest maximum."""
    limited = [c for c in collections if c.loan_max_days]
    if not (limited and start and end):
        return {}
    days = min(c.loan_max_days or 0 for c in limited)
    if (end - start).days <= days:
        return {}
    strictest = [c for c in limited if c.loan_max_days == days]
    return {
        "requested_end": [
            _(
                "%(collections)s lend for at most %(days)d days: end the loan on %(latest)s at "
                "the latest."
            )
            % {
                "collections": _codes(strictest),
                "days": days,
                "latest": (start + timedelta(days=days)).isoformat(),
            }
        ]
    }


def permit_errors(
    collections: Iterable[Collection], permits: Iterable[Permit]
) -> dict[str, list[StrOrPromise]]:
    """``{"permits": [...]}`` when a collection lends only with permits and no permit with its
    document is given."""
    requiring = [c for c in collections if c.loan_permits_required]
    if not requiring or any(permit.document_id for permit in permits):
        return {}
    return {
        "permits": [
            _(
                "%(collections)s lend only with permits: add the permit (type, number, issuing "
                "authority) and its document."
            )
            % {"collections": _codes(requiring)}
        ]
    }
