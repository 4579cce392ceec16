"""The admin's app configuration, apart from the admin site itself.

``ElvisAdminConfig`` is named in ``INSTALLED_APPS`` in place of ``django.contrib.admin``, so its
module is imported while apps are still loading and may import no models. Keeping it here lets
``elvis.admin`` (the site, its login form and the scoping mixin) import models and forms at the
top, like any other admin module. Its ``ready`` also connects what every process needs of each
new database connection (``elvis.db_loaders``), whatever the process (web, worker, command).
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class ElvisAdminConfig(AdminConfig):
    default_site = "elvis.admin.ElvisAdminSite"

    def ready(self) -> None:
        super().ready()
        from django.db.backends.signals import connection_created

        from .db_loaders import use_psycopg_timestamp_loader

        connection_created.connect(use_psycopg_timestamp_loader, dispatch_uid="elvis.db_loaders")
