"""What every researcher page of a kind knows: its kind, where its templates are, and which
requests the user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet

if TYPE_CHECKING:
    from django.http import HttpRequest

    from elvis.workflow.kinds import RequestKind


class KindPageMixin(LoginRequiredMixin):
    """A page of one kind: ``View.as_view(kind=…)`` (see ``pages.urls``) sets ``kind``."""

    # Always set: as_view() accepts only class attributes, hence the None placeholder.
    kind: RequestKind = None  # type: ignore[assignment]
    request: HttpRequest  # the view's (set by View.setup)

    def templates(self, name: str, generic: str) -> list[str]:
        """The kind's own template first (``loans/detail.html``), then the core's."""
        return [f"{self.kind.url_namespace}/{name}.html", f"workflow/{generic}.html"]

    def visible_requests(self) -> QuerySet:
        """The one visibility rule (``visible_to``): anything outside it is a 404."""
        return (
            self.kind.queryset()
            .visible_to(self.request.user)
            .select_related("institution", "requester")
        )

    def page_context(self, **context: Any) -> dict[str, Any]:
        # Templates call what is callable: they get a flag, never the item model itself.
        return {"kind": self.kind, "has_items": self.kind.items is not None, **context}
