"""The notification inbox: a user's own notifications, newest first; opening one marks it read."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from .models import Notification


class InboxView(LoginRequiredMixin, ListView):
    template_name = "notifications/inbox.html"
    context_object_name = "notifications"
    paginate_by = 50

    def get_queryset(self):
        return Notification.objects.for_user(self.request.user).only(
            "pk", "subject", "preview", "event", "url", "reference", "created_at", "read_at"
        )


class OpenView(LoginRequiredMixin, View):
    """POST: mark one notification read and go to what it is about."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
        if notification.read_at is None:
            Notification.objects.filter(pk=pk).update(read_at=timezone.now())
        safe = url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None)
        return redirect(notification.url if notification.url and safe else "notifications:inbox")


class ReadAllView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        Notification.objects.for_user(request.user).unread().update(read_at=timezone.now())
        return redirect("notifications:inbox")
