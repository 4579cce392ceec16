"""Who may write to the registry through the API; the rules themselves live in ``scoping``.

Reads are public (like GRSciColl). A write needs a signed-in user: without credentials DRF
answers 401 (TokenAuthentication, listed first, supplies the WWW-Authenticate challenge).
Signed-in users who coordinate nothing get 403 before their body is even validated; the object's
own institution is then checked here, and the institution a write *targets* (create, move) by
the view once the body is valid.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from collections_app.roles import coordinated_institution_ids, is_site_staff
from collections_app.scoping import can_edit


class RegistryWritePermission(BasePermission):
    message = _("Only site staff and coordinators of the owning institution may change this.")

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if is_site_staff(user):
            return True
        if view.action in getattr(view, "staff_only_actions", ()):
            return False
        return bool(coordinated_institution_ids(user))

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or can_edit(request.user, obj)
