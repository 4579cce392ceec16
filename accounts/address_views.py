"""``/accounts/profile/addresses/``: the researcher's address book (add, edit, delete), whose
addresses fill request forms (``accounts.profile``). Each researcher reaches only their own:
anyone else's address is a 404."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DeleteView, UpdateView

from .forms import AddressForm
from .models import Address, User


class OwnAddressMixin(LoginRequiredMixin, SuccessMessageMixin):
    model = Address
    request: HttpRequest  # the view's (set by View.setup)

    def get_queryset(self) -> QuerySet[Address]:
        return cast(User, self.request.user).addresses.all()

    def get_success_url(self) -> str:
        return reverse("profile") + "#addresses"


class AddressFormMixin(OwnAddressMixin):
    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "user": self.request.user}  # type: ignore[misc]


class AddressCreateView(AddressFormMixin, CreateView):
    form_class = AddressForm
    template_name = "accounts/address_form.html"
    success_message = _("The address %(label)s is saved.")


class AddressUpdateView(AddressFormMixin, UpdateView):
    form_class = AddressForm
    template_name = "accounts/address_form.html"
    success_message = _("The address %(label)s is saved.")


class AddressDeleteView(OwnAddressMixin, DeleteView):
    template_name = "accounts/address_confirm_delete.html"
    success_message = _("The address is deleted.")
