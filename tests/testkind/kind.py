"""The test kind, declared once: its table (the common one plus ``archive``) and its parts."""

from __future__ import annotations

from typing import Any

from django import forms

from elvis.api.requests.serializers import AccessRequestSerializer, RequestItemSerializer
from elvis.workflow.common import COMMON
from elvis.workflow.kinds import Reminder, RequestKind, register
from elvis.workflow.table import APPROVED, CURATOR, transition

from .models import SampleItem, SampleRequest, SampleStatus


class ArchiveForm(forms.Form):
    note = forms.CharField(max_length=200)


def archive(sample: SampleRequest, actor: Any, data: dict[str, Any]) -> None:
    sample.archive_note = data["note"]


SAMPLE_WORKFLOW = COMMON.extend(
    "sample",
    transition(
        "archive", {APPROVED}, SampleStatus.ARCHIVED, {CURATOR}, event="archived",
        label="Archive", form=ArchiveForm, apply=archive, fields=("archive_note",),
    ),
)  # fmt: skip


class SampleItemSerializer(RequestItemSerializer):
    class Meta:
        model = SampleItem
        fields = RequestItemSerializer.ITEM_FIELDS


class SampleRequestSerializer(AccessRequestSerializer):
    items = SampleItemSerializer(many=True, required=False)

    class Meta:
        model = SampleRequest
        fields = (
            *AccessRequestSerializer.COMMON_FIELDS,
            "wanted_on",
            "archive_note",
            "items",
            *AccessRequestSerializer.TRAIL_FIELDS,
        )


SAMPLE = register(
    RequestKind(
        name="sample",
        model=SampleRequest,
        workflow=SAMPLE_WORKFLOW,
        prefix="SAMPLE",
        accepts_flag="accepts_digitisation",
        serializer=SampleRequestSerializer,
        items=SampleItem,
        reminders=(
            Reminder(
                "wanted_soon",
                field="wanted_on",
                statuses=frozenset({APPROVED}),
                days_before=3,
                message="%(reference)s is wanted on %(date)s.",
            ),
        ),
    )
)
