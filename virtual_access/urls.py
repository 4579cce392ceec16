"""The digitisation request's own pages, served in the kind's namespace (``virtual_access:…``)
beside the shared ones (``RequestKind.extra_urls``)."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from . import views

urlpatterns: list[URLPattern] = [
    path("<int:pk>/package/", views.PackageDownloadView.as_view(), name="package"),
    path("<int:pk>/links/", views.LinkCreateView.as_view(), name="link-create"),
    path(
        "<int:pk>/links/<int:link_pk>/revoke/",
        views.LinkRevokeView.as_view(),
        name="link-revoke",
    ),
    # Any token-like string reaches the view, which answers 404 alike for every bad one.
    re_path(
        r"^download/(?P<token>[A-Za-z0-9_-]+)/$", views.LinkDownloadView.as_view(), name="link"
    ),
    path("<int:pk>/images/", views.ImageSetView.as_view(), name="images"),
    path(
        "<int:pk>/images/<int:capture_pk>/<slug:variant>/",
        views.ImageFileView.as_view(),
        name="image",
    ),
    path("<int:pk>/iiif/", views.ManifestView.as_view(), name="iiif"),
]
