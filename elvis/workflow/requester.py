"""Who is asking: the requester as the institution's staff see them on a request's admin page.

A name and an e-mail say little; the ORCID iD (a link to the public record), the home
institution and how the person's earlier requests to this institution ended (withdrawn,
rejected, closed, a loan still out past its due date or returned late) tell a curator whom
they deal with.
Earlier requests are those in the viewer's own queue (``in_queue_of``), of every kind: staff
never learn here of requests made to other institutions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse

from .kinds import all_kinds

if TYPE_CHECKING:
    from .kinds import RequestKind
    from .models import AccessRequest

#: Earlier requests shown per kind, newest first.
EARLIER_LIMIT = 10


@dataclass(frozen=True)
class EarlierRequest:
    reference: str
    title: str
    kind: str
    status: str
    created_at: Any
    url: str
    warning: str


def _admin_change_url(obj: AccessRequest) -> str:
    meta = obj._meta
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


def _warning(kind: RequestKind, obj: AccessRequest) -> str:
    """What a curator should notice about how a request went, as its kind says
    (``RequestKind.outcome_warning``: a loan overdue, or returned late)."""
    return str(kind.outcome_warning(obj)) if kind.outcome_warning else ""


def earlier_requests(obj: AccessRequest, viewer: Any) -> list[EarlierRequest]:
    """The requester's other requests in ``viewer``'s queue, every kind, newest first."""
    found: list[EarlierRequest] = []
    for kind in all_kinds():
        # The model's own rows: the kind's annotations and prefetches are not shown here.
        others = (
            kind.model.objects.in_queue_of(viewer)
            .filter(requester_id=obj.requester_id)
            .order_by("-created_at")
        )
        if kind.model is type(obj):
            others = others.exclude(pk=obj.pk)
        found += [
            EarlierRequest(
                reference=other.reference,
                title=other.title,
                kind=kind.label,
                status=str(other.get_status_display()),
                created_at=other.created_at,
                url=_admin_change_url(other),
                warning=_warning(kind, other),
            )
            for other in others[:EARLIER_LIMIT]
        ]
    return sorted(found, key=lambda earlier: earlier.created_at, reverse=True)
