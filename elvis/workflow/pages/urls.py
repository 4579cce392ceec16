"""``/<namespace>/`` for every registered request kind: its researcher pages, in the URL
namespace ``kind.url_namespace`` (``loans:list``, ``loans:detail`` …)."""

from __future__ import annotations

from importlib import import_module

from django.urls import URLPattern, URLResolver, include, path

from elvis.workflow.kinds import RequestKind, all_kinds

from . import timeline, views


def page_urls(kind: RequestKind) -> list[URLPattern]:
    urls = [
        path("", views.MyRequestListView.as_view(kind=kind), name="list"),
        path("new/", views.RequestCreateView.as_view(kind=kind), name="create"),
        path("<int:pk>/", timeline.RequestDetailView.as_view(kind=kind), name="detail"),
        path("<int:pk>/edit/", views.RequestEditView.as_view(kind=kind), name="edit"),
        path(
            "<int:pk>/actions/<slug:action>/",
            timeline.RequestActionView.as_view(kind=kind),
            name="action",
        ),
        path("<int:pk>/comments/", timeline.CommentView.as_view(kind=kind), name="comment"),
        path(
            "<int:pk>/attachments/",
            timeline.AttachmentUploadView.as_view(kind=kind),
            name="attachments",
        ),
        path(
            "<int:pk>/attachments/<int:att_pk>/",
            timeline.AttachmentDownloadView.as_view(kind=kind),
            name="attachment",
        ),
    ]
    if kind.items is not None:
        urls.append(
            path(
                "specimen-search/",
                views.SpecimenSearchView.as_view(kind=kind),
                name="specimen-search",
            )
        )
    if kind.extra_urls:
        urls += import_module(kind.extra_urls).urlpatterns
    return urls


def request_kind_pages() -> list[URLResolver]:
    """One include per registered kind, at ``/<namespace>/``."""
    return [
        path(
            f"{kind.url_namespace}/",
            include((page_urls(kind), kind.url_namespace), namespace=kind.url_namespace),
        )
        for kind in all_kinds()
    ]
