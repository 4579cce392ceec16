"""Account pages beyond Django's own auth views: sign-up and the researcher profile."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import i18n
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

    def get_initial(self) -> dict:
        # The language the sign-up page was read in is a good first guess for the e-mails.
        return {**super().get_initial(), "preferred_language": get_language()}

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

    # The view's form_class: narrower than the base's any ModelForm.
    def form_valid(self, form: ProfileForm) -> HttpResponse:  # type: ignore[override]
        # A newly chosen language is the one the confirmation is written in.
        if form.cleaned_data.get("preferred_language"):
            translation.activate(form.cleaned_data["preferred_language"])
        return super().form_valid(form)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        user = cast("User", self.request.user)  # signed in (LoginRequiredMixin)
        context["memberships"] = user.memberships.select_related("institution")
        context["addresses"] = user.addresses.all()
        return context


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher (a POST form, no JavaScript needed), which remembers the
    choice in a cookie; for a signed-in user it is also their preferred language, so that the
    pages on their other devices and their e-mails follow it."""
    response = i18n.set_language(request)
    language = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
    ):
        get_user_model().objects.filter(pk=request.user.pk).update(preferred_language=language)
    return response
