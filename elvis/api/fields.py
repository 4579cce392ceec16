"""Serializer fields the API's resources share."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers


class SummaryRelatedField(serializers.PrimaryKeyRelatedField):
    """Written as an id, shown as a summary object: ``"institution": 3`` in, ``{id, …}`` out."""

    def __init__(self, summary: type[serializers.Serializer], **kwargs: Any) -> None:
        self.summary = summary
        super().__init__(**kwargs)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_representation(self, value: Any) -> dict[str, Any]:
        # One summary serializer per field, reused for every row: building a serializer (and
        # its fields) per value was most of a list's time.
        if not hasattr(self, "_summary"):
            self._summary = self.summary(context=self.context)
        return self._summary.to_representation(value)


class CalledField(serializers.CharField):
    """Read-only text from calling one of the object's methods that takes no arguments
    (``get_status_display``, ``get_full_name``).

    DRF's own ``CharField(source="get_status_display")`` works too, but asks
    ``inspect.signature`` of the method on every value to see whether it may call it: about a
    seventh of a 50-row list's CPU went there (bench/README.md). This field knows it may.

    ``reads``: the columns the method reads, when known, so that a list reads no others of a
    summary's object (``RowWriter.unread_columns``)."""

    def __init__(self, method: str, *, reads: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        self.method = method
        self.reads = reads
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(getattr(value, self.method)())


class SummaryRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Documents ``SummaryRelatedField`` as an integer in requests and the summary in responses."""

    target_class = SummaryRelatedField

    def map_serializer_field(self, auto_schema, direction: str) -> dict[str, Any]:
        # Neither is None: an integer has a basic type, a serializer's component a reference.
        if direction == "request":
            return cast("dict[str, Any]", build_basic_type(OpenApiTypes.INT))
        summary = auto_schema.resolve_serializer(self.target.summary, direction)
        return cast("dict[str, Any]", summary.ref)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = CalledField("get_full_name", reads=("full_name", "email"))
