"""Public registry pages. Institution codes hold slashes and spaces, so URLs use the pk."""

from __future__ import annotations

from django.urls import path

from .views import CollectionDetailView, InstitutionDetailView, InstitutionListView

urlpatterns = [
    path("", InstitutionListView.as_view(), name="home"),
    path("institutions/<int:pk>/", InstitutionDetailView.as_view(), name="institution-detail"),
    path("collections/<int:pk>/", CollectionDetailView.as_view(), name="collection-detail"),
]
