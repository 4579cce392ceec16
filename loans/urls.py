"""Researcher-facing loan pages under ``/loans/``."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "loans"
urlpatterns = [
    path("<int:pk>/", views.LoanDetailView.as_view(), name="detail"),
]
