"""Digitisation on demand (virtual access), declared once: everything the shared core needs to
know about it. Its own parts are the pipeline (``pipeline``, ``tasks``, ``processing``,
``packaging``), the captures' API and the delivered set's pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from elvis.workflow.counts import related_count
from elvis.workflow.kinds import RequestKind, register

from .admin import DigitisationRequestAdmin
from .api.serializers import DigitisationRequestSerializer
from .api.views import CapturesMixin
from .forms import DigitisationRequestEditor
from .models import DigitisationItem, DigitisationRequest, DigitisationStatus, ItemStatus
from .workflow import DIGITISATION_WORKFLOW

if TYPE_CHECKING:
    from elvis.workflow.models import AccessRequestQuerySet

S = DigitisationStatus


def with_progress(requests: AccessRequestQuerySet) -> AccessRequestQuerySet:
    """``items_total`` and ``items_processed`` for every face (correlated, not a join)."""
    return requests.annotate(
        items_total=related_count(DigitisationRequest, "items"),
        items_processed=related_count(DigitisationRequest, "items", status=ItemStatus.PROCESSED),
    )


DIGITISATION = register(
    RequestKind(
        name="digitisation",
        model=DigitisationRequest,
        workflow=DIGITISATION_WORKFLOW,
        prefix="DIG",
        accepts_flag="accepts_digitisation",
        ask=_("Request digitisation"),
        description=_(
            "Digitisation on demand: the researcher's request, its estimate, the imaging "
            "pipeline and the delivery package."
        ),
        serializer=DigitisationRequestSerializer,
        editor=DigitisationRequestEditor,
        items=DigitisationItem,
        admin=DigitisationRequestAdmin,
        annotate=with_progress,
        extra_events=("item_processed",),
        api_mixins=(CapturesMixin,),
        extra_urls="virtual_access.urls",
        event_phrases={
            "package_requested": _("package requested"),
            "items_retried": _("failed items retried"),
            "delivered": _("delivered"),
            "closed": _("closed"),
        },
        next_steps={
            S.IN_PROGRESS: _(
                "Approved: the institution is imaging the specimens; the package is delivered "
                "when every item is processed."
            ),
            S.DELIVERED: _("Delivered: download the package, then acknowledge receipt."),
            S.CLOSED: _("Delivered and acknowledged."),
        },
    )
)
