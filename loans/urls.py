"""Researcher-facing loan pages under ``/loans/``."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "loans"
urlpatterns = [
    path("", views.MyLoanListView.as_view(), name="list"),
    path("new/", views.LoanCreateView.as_view(), name="create"),
    path("specimen-search/", views.SpecimenSearchView.as_view(), name="specimen-search"),
    path("<int:pk>/", views.LoanDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.LoanEditView.as_view(), name="edit"),
    path("<int:pk>/actions/<slug:action>/", views.LoanActionView.as_view(), name="action"),
    path("<int:pk>/comments/", views.LoanCommentView.as_view(), name="comment"),
    path("<int:pk>/attachments/", views.LoanAttachmentUploadView.as_view(), name="attachments"),
    path(
        "<int:pk>/attachments/<int:att_pk>/",
        views.LoanAttachmentDownloadView.as_view(),
        name="attachment",
    ),
]
