from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from elvis.workflow.events import request_opened

        from .sinks import mark_read_on_open

        request_opened.connect(mark_read_on_open, dispatch_uid="notifications.mark_read_on_open")
