"""``/accounts/``: Django's auth views (login by e-mail) plus sign-up and profile."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .address_views import AddressCreateView, AddressDeleteView, AddressUpdateView
from .forms import EmailAuthenticationForm
from .invitation_views import InvitationView
from .views import ProfileView, SignupView

urlpatterns = [
    # Before the stock URLs, so that "login" uses the e-mail form.
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("signup/", SignupView.as_view(), name="signup"),
    path("profile/", ProfileView.as_view(), name="profile"),
    path("profile/addresses/new/", AddressCreateView.as_view(), name="address-create"),
    path("profile/addresses/<int:pk>/", AddressUpdateView.as_view(), name="address-edit"),
    path("profile/addresses/<int:pk>/delete/", AddressDeleteView.as_view(), name="address-delete"),
    path("invitations/<str:key>/", InvitationView.as_view(), name="invitation"),
    path("", include("django.contrib.auth.urls")),
]
