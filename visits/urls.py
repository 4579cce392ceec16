"""The visits' own pages, served in the kind's namespace (``visits:…``) beside the shared ones
(``RequestKind.extra_urls``)."""

from __future__ import annotations

urlpatterns: list = []
