"""The admin's app configuration, apart from the admin site itself.

``ElvisAdminConfig`` is named in ``INSTALLED_APPS`` in place of ``django.contrib.admin``, so its
module is imported while apps are still loading and may import no models. Keeping it here lets
``elvis.admin`` (the site, its login form and the scoping mixin) import models and forms at the
top, like any other admin module.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ElvisAdminConfig(AdminConfig):
    default_site = "elvis.admin.ElvisAdminSite"
