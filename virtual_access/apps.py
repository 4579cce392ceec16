from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VirtualAccessConfig(AppConfig):
    name = "virtual_access"
    verbose_name = _("Virtual access")

    def ready(self) -> None:
        from elvis.middleware import allow_large_uploads

        # Register the pipeline's tasks in every process: the pipeline enqueues them by name.
        from . import tasks  # noqa: F401

        # Masters of several hundred MB, to the API's and the admin's capture uploads.
        allow_large_uploads(
            r"/api/v1/digitisation-requests/\d+/items/\d+/captures/",
            "DIGITISATION_MAX_UPLOAD_BYTES",
        )
        allow_large_uploads(
            r"/admin/virtual_access/digitisationrequest/\d+/captures/",
            "DIGITISATION_MAX_UPLOAD_BYTES",
        )
