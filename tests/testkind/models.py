"""A minimal request kind: a sample request with a wanted date, items, and one extra action.

It exists to prove that a kind needs only its own logic: everything else (API, admin, pages,
reminders, events, contract tests) comes from the core, driven by ``kind.py``.
"""

from __future__ import annotations

from django.db import models

from elvis.workflow import models as core
from elvis.workflow.table import status_choices

SampleStatus = status_choices("SampleStatus", ("archived", "Archived"))


class SampleRequest(core.AccessRequest):
    status = models.CharField(
        max_length=32, choices=SampleStatus.choices, default=SampleStatus.DRAFT, editable=False
    )
    wanted_on = models.DateField("wanted on", null=True, blank=True)
    archive_note = models.CharField(max_length=200, blank=True, editable=False)

    class Meta(core.AccessRequest.Meta):
        verbose_name = "sample request"
        verbose_name_plural = "sample requests"


class SampleRequestCollection(core.RequestCollection):
    """A collection the sample request asks for (protected: see ``core.RequestCollection``)."""

    # The former automatic many-to-many table, kept with its rows (a state-only migration).
    request = models.ForeignKey(
        SampleRequest, on_delete=models.CASCADE, related_name="+", db_column="samplerequest_id"
    )

    class Meta(core.RequestCollection.Meta):
        db_table = "testkind_samplerequest_collections"
        verbose_name = "sample request"
        verbose_name_plural = "sample requests"


class SampleItem(core.RequestItem):
    sample = models.ForeignKey(SampleRequest, on_delete=models.CASCADE, related_name="items")


class SampleHistory(core.HistoryEntry):
    request = models.ForeignKey(SampleRequest, on_delete=models.CASCADE, related_name="history")


class SampleComment(core.Comment):
    request = models.ForeignKey(SampleRequest, on_delete=models.CASCADE, related_name="comments")


class SampleAttachment(core.Attachment):
    request = models.ForeignKey(SampleRequest, on_delete=models.CASCADE, related_name="attachments")
