"""Loan pages for researchers and institution staff; visibility through ``visible_to``."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView

from .models import LoanRequest


class LoanDetailView(LoginRequiredMixin, DetailView):
    """The request's timeline: status, items, history and comments. Invisible loans are 404."""

    template_name = "loans/detail.html"
    context_object_name = "loan"

    def get_queryset(self):
        return (
            LoanRequest.objects.visible_to(self.request.user)
            .with_overdue()
            .select_related("institution", "requester")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loan: LoanRequest = self.object
        context["items"] = loan.items.select_related("specimen__collection")
        context["history"] = loan.history.select_related("actor")
        context["comments"] = loan.comments.select_related("author")
        context["allowed_actions"] = loan.allowed_actions(self.request.user)
        return context
