"""What every request kind shows (DESIGN.md §3), and the item shape kinds with items share."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from collections_app.api.serializers import (
    CollectionSummarySerializer,
    InstitutionSummarySerializer,
)
from collections_app.models import Collection, Institution, Specimen
from elvis.api.fields import CalledField, PersonSerializer, SummaryRelatedField
from elvis.workflow.actors import Viewer
from elvis.workflow.kinds import RequestKind, kind_of
from elvis.workflow.models import AccessRequest
from elvis.workflow.offers import not_accepting_message

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_QUANTITY = 2**31 - 1


class RequesterSerializer(PersonSerializer):
    email = serializers.EmailField(read_only=True)


class HistoryEntrySerializer(serializers.Serializer):
    action = serializers.CharField(read_only=True)
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    actor = PersonSerializer(read_only=True)
    comment = serializers.CharField(read_only=True)
    # DRF's metaclass takes declared fields off the class, so ``Serializer.data`` stays intact.
    data = serializers.JSONField(read_only=True)  # type: ignore[assignment]
    created_at = serializers.DateTimeField(read_only=True)


class CommentSerializer(serializers.Serializer):
    """A message on a request's thread (``body`` is checked by ``post_comment``)."""

    id = serializers.IntegerField(read_only=True)
    author = PersonSerializer(read_only=True)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    created_at = serializers.DateTimeField(read_only=True)


class AttachmentSerializer(serializers.Serializer):
    """A stored file; ``file`` is the upload (PDF or image), ``download_url`` serves it back."""

    id = serializers.IntegerField(read_only=True)
    file = serializers.FileField(write_only=True)
    original_name = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=255)
    uploaded_by = PersonSerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, attachment: Any) -> str:
        view = self.context["view"]
        return view.reverse_action(
            "attachment-download",
            kwargs={"pk": attachment.request_id, "attachment_pk": attachment.pk},
        )


class SpecimenSummarySerializer(serializers.ModelSerializer):
    collection_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Specimen
        fields = ("id", "catalog_number", "scientific_name", "collection_id")
        read_only_fields = fields


class RequestItemSerializer(serializers.ModelSerializer):
    """An item: ``{"specimen": id}`` for a catalogued specimen, or ``{"description",
    "quantity"}`` for a described lot."""

    # A kind's item serializer subclasses this and names its item model in Meta.

    ITEM_FIELDS: ClassVar[tuple[str, ...]] = ("id", "specimen", "description", "quantity")

    specimen = SummaryRelatedField(
        summary=SpecimenSummarySerializer,
        queryset=Specimen.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A specimen of one of the chosen collections (its id when writing)."),
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, required=False, help_text=_("Count of a lot.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        specimen, description = attrs.get("specimen"), attrs.get("description", "")
        if specimen and description:
            raise serializers.ValidationError(
                {"description": [_("Give either a specimen or a described lot, not both.")]}
            )
        if not specimen and not description:
            raise serializers.ValidationError(
                {"specimen": [_("Choose a specimen or describe the lot.")]}
            )
        if specimen and attrs.get("quantity", 1) != 1:
            raise serializers.ValidationError(
                {"quantity": [_("A catalogued specimen is one object.")]}
            )
        return attrs


class AccessRequestSerializer(serializers.ModelSerializer):
    """What every kind shows (DESIGN.md §3), the rule for its collections, and its items.

    A kind's serializer lists ``COMMON_FIELDS``, its own fields and ``TRAIL_FIELDS`` in its Meta.
    Collections must belong to the institution and take the kind's requests now
    (``RequestKind.offers``; a stored choice that stopped is reported at submission). A kind
    with items declares ``items = <its RequestItemSerializer>(many=True, required=False)``:
    they are checked against the chosen collections and replaced as a whole when sent.
    """

    COMMON_FIELDS: ClassVar[tuple[str, ...]] = (
        "id",
        "reference",
        "status",
        "status_display",
        "allowed_actions",
        "requester",
        "institution",
        "collections",
        "title",
        "purpose",
    )
    TRAIL_FIELDS: ClassVar[tuple[str, ...]] = (
        "history",
        "comment_count",
        "attachment_count",
        "created_at",
        "updated_at",
        "submitted_at",
    )
    status_display = CalledField("get_status_display")
    allowed_actions = serializers.SerializerMethodField(
        help_text=_("What you may do now: POST to …/<id>/<action>/.")
    )
    requester = RequesterSerializer(read_only=True)
    institution = SummaryRelatedField(
        summary=InstitutionSummarySerializer,
        queryset=Institution.objects.all(),
        help_text=_("The institution asked (its id when writing)."),
    )
    collections = SummaryRelatedField(
        summary=CollectionSummarySerializer,
        queryset=Collection.objects.all(),
        many=True,
        required=False,
        help_text=_("The institution's collections asked (their ids when writing)."),
    )
    history = HistoryEntrySerializer(many=True, read_only=True)
    comment_count = serializers.IntegerField(read_only=True)
    attachment_count = serializers.IntegerField(read_only=True)

    def get_allowed_actions(self, obj: AccessRequest) -> list[str]:
        # The viewset reads the caller's standing once per API request, not once per row.
        viewer = self.context.get("viewer") or Viewer.of(self.context["request"].user)
        return viewer.allowed_actions(obj)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        institution = self._value(attrs, "institution")
        collections = attrs.get("collections")
        sent = collections is not None
        if collections is None and self.instance is not None:
            collections = list(self.instance.collections.all())
        kind = kind_of(self.Meta.model)
        errors = []
        for collection in collections or ():
            if collection.institution_id != institution.pk:
                errors.append(
                    _("%(collection)s is not a collection of %(institution)s.")
                    % {"collection": collection.code, "institution": institution.code}
                )
            elif not getattr(collection, kind.accepts_flag):
                errors.append(
                    _("%(collection)s does not take this kind of request.")
                    % {"collection": collection.code}
                )
            elif sent and not collection.accepting_requests:
                errors.append(not_accepting_message([collection], kind.label_plural))
        field_errors: dict[str, Any] = {"collections": errors} if errors else {}
        if "items" in self.fields and ("items" in attrs or "collections" in attrs):
            item_errors = self._item_errors(attrs)
            if item_errors:
                field_errors["items"] = item_errors
        field_errors.update(self.kind_errors(attrs))
        if field_errors:
            raise serializers.ValidationError(field_errors)
        return attrs

    def kind_errors(self, attrs: dict[str, Any]) -> dict[str, list[StrOrPromise]]:
        """The kind's own checks across fields, reported with the shared ones."""
        return {}

    def _item_errors(self, attrs: dict[str, Any]) -> dict[int, dict[str, list[str]]]:
        """Specimens outside the chosen collections or listed twice, keyed by the item's
        position as DRF reports nested list errors."""
        stored = self.instance
        items = attrs.get("items")
        if items is None and stored is not None:
            items = [{"specimen": i.specimen} for i in stored.items.select_related("specimen")]
        collections = attrs.get("collections")
        if collections is None:
            collections = stored.collections.all() if stored else []
        collection_ids = {collection.pk for collection in collections}
        seen: set[int] = set()
        errors: dict[int, dict[str, list[str]]] = {}
        for index, item in enumerate(items or ()):
            specimen = item.get("specimen")
            if specimen is None:
                continue
            if specimen.collection_id not in collection_ids:
                problem = _("%(number)s is not in the chosen collections.")
            elif specimen.pk in seen:
                problem = _("%(number)s is listed more than once.")
            else:
                problem = None
            seen.add(specimen.pk)
            if problem:
                errors[index] = {"specimen": [problem % {"number": specimen.catalog_number}]}
        return errors

    #: Nested lists written as a whole (a kind adds its own, e.g. ``permits``).
    replaced_lists: ClassVar[tuple[str, ...]] = ("items",)

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> AccessRequest:
        lists = self._pop_lists(validated_data)
        request = super().create(validated_data)
        self._replace(request, lists)
        return request

    @transaction.atomic
    def update(self, instance: AccessRequest, validated_data: dict[str, Any]) -> AccessRequest:
        lists = self._pop_lists(validated_data)
        request = super().update(instance, validated_data)
        self._replace(request, lists)
        return request

    def _pop_lists(self, validated_data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {
            name: validated_data.pop(name) for name in self.replaced_lists if name in validated_data
        }

    @staticmethod
    def _replace(request: Any, lists: dict[str, list[dict[str, Any]]]) -> None:
        """Replace the lists that were sent (a draft's rows are not referenced elsewhere yet)."""
        for name, rows in lists.items():
            related = getattr(request, name)
            related.all().delete()
            fk = related.field.name
            related.model.objects.bulk_create(related.model(**{fk: request}, **row) for row in rows)

    def _value(self, attrs: dict[str, Any], name: str) -> Any:
        """The value the object will have: from the body, else the stored one."""
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, None)


#: A list row's own count of its items, for kinds with items (the detail lists them).
ITEM_COUNT = "item_count"


@cache
def summary_serializer_for(kind: RequestKind) -> type[AccessRequestSerializer]:
    """The list row of ``kind``: its serializer's fields without the nested lists.

    A list shows what a queue or a sync needs to pick a request: every plain field, the
    summaries (requester, institution, collections), the counts and ``allowed_actions``. The
    nested lists — ``history``, ``items`` and a kind's own (permits, the team, facilities) —
    and nested objects (a visit's report) cost a query each per page and most of a row's
    serialization: they are read from the detail, ``GET …/<id>/``. A kind with items shows
    ``item_count`` instead.
    """
    detail = cast("type[AccessRequestSerializer]", kind.serializer)
    nested = {
        name
        for name, field in detail._declared_fields.items()
        if isinstance(field, serializers.BaseSerializer)
        and name not in ("requester", "institution", "collections")
    }
    fields = [name for name in detail.Meta.fields if name not in nested]
    attrs: dict[str, Any] = {"__module__": __name__}
    if kind.items is not None:
        fields.insert(fields.index("comment_count"), ITEM_COUNT)
        attrs[ITEM_COUNT] = serializers.IntegerField(
            read_only=True, help_text=_("How many items: the detail lists them.")
        )
    attrs["Meta"] = type("Meta", (detail.Meta,), {"fields": tuple(fields)})
    name = f"{kind.model.__name__}SummarySerializer"
    attrs["__doc__"] = f"{kind.label_plural.capitalize()} as a list shows them."
    return cast("type[AccessRequestSerializer]", type(name, (detail,), attrs))
