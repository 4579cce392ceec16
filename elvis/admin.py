"""The admin site: open to site staff and to institution curators and coordinators.

Institution staff get admin access through their ``Membership`` rows, not through the
``is_staff`` flag, so the site's permission check and login form ask the membership logic in
``collections_app.scoping``. ``ElvisAdminConfig`` is named in ``INSTALLED_APPS`` in place of
``django.contrib.admin``, so this module is imported while apps are still loading: like
Django's own ``AdminSite.login``, it imports models and auth forms only inside functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import Http404
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.forms import AuthenticationForm
    from django.http import HttpRequest


class ElvisAdminConfig(AdminConfig):
    default_site = "elvis.admin.ElvisAdminSite"


def may_use_admin(user) -> bool:
    """Site staff, and active curators or coordinators of any institution."""
    from collections_app.scoping import institution_ids, is_site_staff

    return is_site_staff(user) or bool(institution_ids(user))


def is_autocomplete(request: HttpRequest) -> bool:
    """Is this the admin's autocomplete endpoint (which feeds the choices of edit forms)?"""
    match = request.resolver_match
    return bool(match and match.url_name == "autocomplete" and "admin" in match.namespaces)


class ElvisAdminSite(AdminSite):
    site_header = _("ELViS administration")
    site_title = _("ELViS administration")
    index_title = _("Registry and accounts")

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    @property
    def login_form(self) -> type[AuthenticationForm]:
        from accounts.admin import AdminLoginForm

        return AdminLoginForm


class NotFoundOutsideScope:
    """ModelAdmin mixin: an object outside the user's queryset answers 404, exactly like a
    missing one (Django's default redirects with "doesn't exist", which leaks nothing either,
    but the API and pages answer 404 and the admin should agree)."""

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404(_("Not found."))
        return obj
