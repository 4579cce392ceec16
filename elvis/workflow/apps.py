from __future__ import annotations

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "elvis.workflow"
    label = "workflow"
    verbose_name = _("Workflow")

    def ready(self) -> None:
        from .kinds import autodiscover

        autodiscover()
        # Here, not in ``elvis.workflow.admin`` at import: the admin's autodiscovery may import
        # that module before the kinds are registered (it does: the admin is installed first).
        if apps.is_installed("django.contrib.admin"):
            from .admin import register_kind_admins

            register_kind_admins()
