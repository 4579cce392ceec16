"""Account pages beyond Django's own auth views: sign-up and the researcher profile."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, UpdateView

from .forms import ProfileForm, SignupForm
from .models import User

# Several backends are configured (axes first), so login() must be told which one vouches.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignupView(CreateView):
    form_class = SignupForm
    template_name = "accounts/signup.html"
    success_url = reverse_lazy("profile")

    def dispatch(self, request, *args, **kwargs) -> HttpResponseBase:
        if request.user.is_authenticated:
            return redirect("profile")
        return super().dispatch(request, *args, **kwargs)

    # The view's form_class: narrower than the base's any ModelForm.
    def form_valid(self, form: SignupForm) -> HttpResponseRedirect:  # type: ignore[override]
        self.object = form.save()
        login(self.request, self.object, backend=LOGIN_BACKEND)
        messages.success(self.request, _("Welcome to ELViS! Your account is ready."))
        return HttpResponseRedirect(self.get_success_url())


class ProfileView(LoginRequiredMixin, SuccessMessageMixin, UpdateView):
    form_class = ProfileForm
    template_name = "accounts/profile.html"
    success_url = reverse_lazy("profile")
    success_message = _("Your profile has been saved.")

    def get_object(self, queryset=None):
        return self.request.user

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        user = cast("User", self.request.user)  # signed in (LoginRequiredMixin)
        context["memberships"] = user.memberships.select_related("institution")
        return context
