"""``POST …/<id>/<action>/``: one endpoint per row of a kind's transition table.

Each endpoint's body is the action form's fields typed for JSON (and documented), plus
``comment``; the form itself still validates the values inside ``perform``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict

from elvis.api.idempotency import IDEMPOTENCY_PARAMETERS, idempotent
from elvis.workflow.comments import MAX_LENGTH as COMMENT_MAX_LENGTH
from elvis.workflow.fields import ItemEntriesField, ItemIdsField
from elvis.workflow.kinds import RequestKind
from elvis.workflow.models import AccessRequest
from elvis.workflow.service import perform_and_answer
from elvis.workflow.table import Transition, Workflow

from .errors import CONFLICT, FIELD_ERRORS, FORBIDDEN, NOT_FOUND, api_error

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

    # The mixin is only ever put before a DRF viewset: type it as one.
    _ViewSetBase = GenericAPIView
else:
    _ViewSetBase = object

FieldFactory = Callable[..., serializers.Field]


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "description": "An item's id: all of it."},
            {
                "type": "object",
                "required": ["item"],
                "additionalProperties": False,
                "properties": {
                    "item": {"type": "integer", "minimum": 1},
                    "count": {
                        "type": "integer",
                        "minimum": 1,
                        "nullable": True,
                        "description": "How many (of a lot); left out: all that is outstanding.",
                    },
                    "note": {"type": "string", "maxLength": 255},
                },
            },
        ]
    }
)
class ItemEntryField(serializers.Field):
    """One entry of an ``ItemEntriesField``: an item's id, or an object with its own input.
    Passed through as given: the action's form checks it (400 with the reason)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, int | dict) or isinstance(data, bool):
            raise serializers.ValidationError(_("Give an item id or an object with its item."))
        return data

    def to_representation(self, value: Any) -> Any:
        return value


#: How an action form's field is typed in the API (JSON type and schema), looked up along the
#: form field's class hierarchy. The form still validates the value inside ``perform``.
FORM_FIELD_TYPES: dict[type[forms.Field], FieldFactory] = {
    forms.CharField: lambda f, **kw: serializers.CharField(
        max_length=f.max_length, allow_blank=True, **kw
    ),
    forms.BooleanField: lambda f, **kw: serializers.BooleanField(**kw),
    forms.IntegerField: lambda f, **kw: serializers.IntegerField(
        min_value=f.min_value, max_value=f.max_value, **kw
    ),
    forms.FloatField: lambda f, **kw: serializers.FloatField(**kw),
    forms.DecimalField: lambda f, **kw: serializers.DecimalField(
        max_digits=f.max_digits, decimal_places=f.decimal_places, **kw
    ),
    forms.DateField: lambda f, **kw: serializers.DateField(**kw),
    forms.DateTimeField: lambda f, **kw: serializers.DateTimeField(**kw),
    forms.ChoiceField: lambda f, **kw: serializers.ChoiceField(choices=f.choices, **kw),
    forms.MultipleChoiceField: lambda f, **kw: serializers.MultipleChoiceField(
        choices=f.choices, **kw
    ),
    forms.ModelChoiceField: lambda f, **kw: serializers.IntegerField(**kw),
    forms.ModelMultipleChoiceField: lambda f, **kw: serializers.ListField(
        child=serializers.IntegerField(), **kw
    ),
    ItemEntriesField: lambda f, **kw: serializers.ListField(child=ItemEntryField(), **kw),
    ItemIdsField: lambda f, **kw: serializers.ListField(
        child=serializers.IntegerField(min_value=1), **kw
    ),
}


def _api_field(form_field: forms.Field) -> serializers.Field:
    factory = next(
        (FORM_FIELD_TYPES[k] for k in type(form_field).__mro__ if k in FORM_FIELD_TYPES),
        FORM_FIELD_TYPES[forms.CharField],  # what a form field reads from an HTML form
    )
    return factory(
        form_field,
        required=form_field.required,
        allow_null=not form_field.required,
        help_text=form_field.help_text or form_field.label,
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def transition_input_serializer(
    workflow: Workflow, row: Transition
) -> type[serializers.Serializer]:
    """The body of ``POST …/<action>/``: ``comment`` plus the fields of the action's form."""
    fields: dict[str, Any] = {
        "comment": serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=COMMENT_MAX_LENGTH,
            help_text=_("Why; kept in the request's history and shown to the other side."),
        )
    }
    if row.form is not None:
        fields.update({name: _api_field(f) for name, f in row.form.base_fields.items()})
    name = f"{_camel(workflow.kind)}{_camel(row.action)}Serializer"
    return type(name, (serializers.Serializer,), {**fields, "__doc__": row.label})


def _transition_endpoint(
    cls: type[TransitionViewSetMixin], row: Transition
) -> Callable[..., Response]:
    """A viewset method for one table row, routed at ``…/<id>/<action>/``."""
    body = transition_input_serializer(cls.kind.workflow, row)

    def endpoint(self: TransitionViewSetMixin, request: Request, pk: str | None = None):
        obj = self.get_object()
        # ``partial``: only JSON types are checked here; the form checks the rest (required
        # fields included) inside ``perform``, after the role and the status.
        payload = body(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        comment = data.pop("comment", "")
        answer = perform_and_answer(
            obj, row.action, self.answer_after, actor=request.user, comment=comment, **data
        )
        return Response(answer)

    endpoint.__name__ = endpoint.__qualname__ = f"{row.action}_transition"
    roles = ", ".join(sorted(row.roles))
    sources = ", ".join(sorted(row.sources))
    schema = extend_schema(
        summary=row.label,
        description=format_lazy(
            "{who}: {roles}. {when}: {sources}. {to}: {target}.",
            who=_("Who"),
            roles=roles,
            when=_("From"),
            sources=sources,
            to=_("To"),
            target=_("unchanged") if row.stays else row.target or _("depends on the input"),
        ),
        request=body,
        parameters=IDEMPOTENCY_PARAMETERS,
        responses={
            200: cls.serializer_class,
            400: FIELD_ERRORS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    route = action(
        detail=True,
        methods=["post"],
        url_path=row.action,
        url_name=row.action.replace("_", "-"),
        name=row.label,  # type: ignore[arg-type]  # lazy, as DRF's own view names may be
        filter_backends=[],
    )
    return schema(route(idempotent(endpoint)))


class TransitionViewSetMixin(_ViewSetBase):
    """Adds ``POST …/<id>/<action>/`` for every row of the kind's table at class creation,
    and answers the core's domain errors as the contract says (``api_error``).

    A subclass that sets ``kind`` gets one endpoint per action, so the API follows the table
    without a hand-written twin per action.
    """

    kind: ClassVar[RequestKind]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" not in cls.__dict__:
            return
        for row in cls.kind.workflow.transitions.values():
            endpoint = _transition_endpoint(cls, row)
            setattr(cls, endpoint.__name__, endpoint)

    def answer_after(self, updated: AccessRequest) -> ReturnDict:
        """The 200's body: the resource as a read shows it, read and serialized inside the
        transition's transaction, so that no read after the commit can fail it."""
        return self.get_serializer(self.get_queryset().get(pk=updated.pk)).data

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(api_error(exc) or exc)
