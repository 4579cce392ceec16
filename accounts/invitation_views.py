"""``/accounts/invitations/<key>/``: the page an invitation's link opens.

Without an account at the invited address it is a sign-up form; with one, the invitee logs in
and accepts. Either way the membership is made in the same transaction that uses the link. A
link that no longer works (unknown, expired, revoked, used) gets a page that says why, never an
error. The answers are never cached: the URL is a credential.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from . import invitations
from .forms import InvitationSignupForm
from .models import Invitation, User
from .views import LOGIN_BACKEND


@method_decorator(never_cache, name="dispatch")
class InvitationView(View):
    template_name = "accounts/invitation.html"

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.key: str = kwargs["key"]
        self.invitation = invitations.find(self.key)

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        invitation = self.invitation
        if invitation is None:
            return self.unusable(None)
        if invitation.state != Invitation.State.PENDING:
            return self.unusable(invitation.state)
        return super().dispatch(request, *args, **kwargs)

    def unusable(self, reason: str | None) -> HttpResponse:
        return render(
            self.request,
            "accounts/invitation_unusable.html",
            {"message": invitations.unusable_message(reason or "")},
            status=404 if reason is None else 410,
        )

    def has_account(self) -> bool:
        """Does someone already log in with the invited address?"""
        email = cast(Invitation, self.invitation).email
        return get_user_model().objects.filter(email__iexact=email).exists()

    def page(self, form: InvitationSignupForm | None = None, *, status: int = 200) -> HttpResponse:
        """The sign-up form (``form``), else the accept button or, signed out, a login link."""
        return render(
            self.request,
            self.template_name,
            {"invitation": self.invitation, "form": form, "path": self.request.path},
            status=status,
        )

    def signup_form(self, data=None) -> InvitationSignupForm:
        invitation = cast(Invitation, self.invitation)
        return InvitationSignupForm(data, email=invitation.email)

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        if request.user.is_authenticated or self.has_account():
            return self.page()
        return self.page(self.signup_form())

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        invitation = cast(Invitation, self.invitation)
        if request.user.is_authenticated:
            return self.accept(request.user)
        form = self.signup_form(request.POST)
        if not form.is_valid():
            return self.page(form, status=400)
        try:
            with transaction.atomic():
                user = form.save()
                invitations.accept(invitation, user)
        except invitations.InvitationUnusable as unusable:
            return self.unusable(unusable.reason)
        login(request, user, backend=LOGIN_BACKEND)
        return self.welcome()

    def accept(self, user: User) -> HttpResponse:
        try:
            invitations.accept(cast(Invitation, self.invitation), user)
        except invitations.InvitationUnusable as unusable:
            return self.unusable(unusable.reason)
        return self.welcome()

    def welcome(self) -> HttpResponse:
        invitation = cast(Invitation, self.invitation)
        messages.success(
            self.request,
            _("Welcome to %(institution)s: you are now its %(role)s.")
            % {"institution": invitation.institution.name, "role": invitation.get_role_display()},
        )
        # Institution people work in the admin, where their institution's queue is.
        return redirect("admin:index")
