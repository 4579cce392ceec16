from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VirtualAccessConfig(AppConfig):
    name = "virtual_access"
    verbose_name = _("Virtual access")
