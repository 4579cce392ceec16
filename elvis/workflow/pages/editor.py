"""The request form of every kind: the request's content, its items, and any rows of the
kind's own (a loan's permits), validated and saved as one.

``RequestKind.editor`` names the kind's ``RequestEditor`` subclass; without one, the core edits
the shared fields and every editable field of the kind's model. A kind's editor sets
``form_class`` (a ``RequestForm`` declaring its content fields and their checks) and adds its
own rows in ``extra_formsets``.

The request page is one HTML form that works without JavaScript, so some buttons (search the
catalogue, add a row) send the whole form back only to show it again: its forms are then built
with ``validate=False`` and redisplay what was typed without judging it yet. A kind adds buttons
of its own that do the same (a visit's "Check availability") by naming them in
``redisplay_buttons`` and returning what they show from ``extra_context``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.profile import profile_values
from collections_app.models import Collection, Specimen
from elvis.workflow.errors import ActionConflict
from elvis.workflow.kinds import kind_of

from ..action_form import use_date_inputs
from ..completeness import FIXED_FIELDS, required_to_submit
from ..offers import not_accepting_message
from .forms import OptionalValidationMixin, messages_by_field, name_and_code
from .items import (
    described_lots,
    foreign_specimens,
    lot_formset,
    save_specimens,
    saved_specimen_ids,
    specimens_field,
)

if TYPE_CHECKING:
    from collections_app.models import Institution
    from elvis.workflow.kinds import RequestKind
    from elvis.workflow.models import AccessRequest

#: The fields every kind's form starts with; a kind's own content fields follow them.
SHARED_FIELDS = ("title", "collections", "purpose")


class SubmitMarkedField(forms.BoundField):
    """A field's label marked when a submission needs the field (``required_to_submit``),
    though a draft may leave it empty: the researcher knows before trying to submit."""

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        form = cast("RequestForm", self.form)
        if self.name in form.required_to_submit:
            attrs = {**(attrs or {})}
            attrs["class"] = f"{attrs.get('class', '')} required-to-submit".strip()
        return super().label_tag(contents, attrs, label_suffix, tag)


class RequestForm(OptionalValidationMixin, forms.ModelForm):
    """The request's content and, when the kind has items, its catalogued specimens.

    Subclasses name the model and their content fields in ``Meta`` (after ``SHARED_FIELDS``).
    Saving writes only the form's fields (a concurrent transition owns the status), then the
    specimens.

    ``draft=True`` (saving a draft) asks for the title alone: every other field may be empty
    (the fields a submission needs stay marked, ``required_to_submit``), and the kind's checks
    judge only what is filled in. Submitting validates with every rule.
    """

    bound_field_class = SubmitMarkedField
    specimens = specimens_field()

    class Meta:
        fields = list(SHARED_FIELDS)
        widgets = {
            "collections": forms.CheckboxSelectMultiple,
            "purpose": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {"purpose": _("What you will study, and why.")}

    def __init__(
        self, *args: Any, institution: Institution, draft: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind_of(self._meta.model)
        needed = set(required_to_submit(self.kind.model))
        self.required_to_submit = {name for name in self.fields if name in needed}
        self.draft = draft
        if draft:  # a field left out keeps its model default
            for name, field in self.fields.items():
                field.required = name == "title"
        # A draft keeps the collections it names that stopped accepting since: shown, marked,
        # and refused at submission (``clean``) rather than silently dropped.
        kept = (
            list(self.instance.collections.values_list("pk", flat=True)) if self.instance.pk else []
        )
        collections = cast("forms.ModelMultipleChoiceField", self.fields["collections"])
        collections.queryset = institution.collections.filter(
            self.kind.offered() | Q(pk__in=kept)
        ).order_by("name", "pk")
        # The choice labels (the stubs declare a method; Django reads the attribute either way).
        collections.label_from_instance = self.collection_label  # type: ignore[method-assign,assignment]
        if not collections.help_text:
            collections.help_text = _("Only the collections that accept %(things)s are listed.") % {
                "things": self.kind.label_plural
            }
        if self.kind.items is None:
            del self.fields["specimens"]
        else:
            specimens = cast("forms.ModelMultipleChoiceField", self.fields["specimens"])
            specimens.queryset = Specimen.objects.filter(collection__in=collections.queryset)
            if self.instance.pk and not self.is_bound:
                self.initial["specimens"] = saved_specimen_ids(self.instance)
        use_date_inputs(self.fields)
        self.order_fields(SHARED_FIELDS)

    def collection_label(self, collection: Collection) -> str:
        label = name_and_code(collection)
        if self.kind.offers(collection):
            return label
        return _("%(collection)s — not accepting requests at the moment") % {"collection": label}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        chosen = data.get("collections")
        closed = [c for c in chosen or () if not self.kind.offers(c)]
        if closed and not self.draft:
            self.add_error("collections", not_accepting_message(closed, self.kind.label_plural))
        if chosen is not None and data.get("specimens"):
            foreign = foreign_specimens(data["specimens"], chosen)
            if foreign:
                self.add_error(
                    "specimens",
                    _("Not in the chosen collections: %(numbers)s.")
                    % {"numbers": ", ".join(foreign)},
                )
        return data

    def own_fields(self) -> list[forms.BoundField]:
        """The kind's own content fields, for a template that lays them out generically."""
        return [self[name] for name in self.fields if name not in (*SHARED_FIELDS, "specimens")]

    def content_fields(self) -> list[str]:
        """The request's columns this form writes (its many-to-many fields are saved apart)."""
        names = []
        for name in self.fields:
            try:
                field = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.concrete and not field.many_to_many:
                names.append(name)
        return names

    def chosen_specimens(self) -> QuerySet[Specimen]:
        """The specimens currently chosen (typed or saved), for display beside the form."""
        if "specimens" not in self.fields:
            return Specimen.objects.none()
        raw = self["specimens"].value() or []
        ids = {int(v) for v in raw if str(v).isdigit()}
        field = cast("forms.ModelMultipleChoiceField", self.fields["specimens"])
        return (
            cast("QuerySet[Specimen]", field.queryset)
            .filter(pk__in=ids)
            .select_related("collection")
        )

    def save(self, commit: bool = True) -> AccessRequest:
        access_request = super().save(commit=False)
        if access_request.pk:
            access_request.save(update_fields=[*self.content_fields(), "updated_at"])
        else:
            access_request.save()
        self.save_m2m()
        if "specimens" in self.fields:
            save_specimens(self.kind, access_request, self.cleaned_data["specimens"])
        return access_request


_default_forms: dict[str, type[RequestForm]] = {}


def default_request_form(kind: RequestKind) -> type[RequestForm]:
    """The form of a kind without its own: the shared fields and every editable field of its
    model (built once per kind)."""
    if kind.name not in _default_forms:
        _default_forms[kind.name] = cast(
            "type[RequestForm]",
            forms.modelform_factory(
                kind.model, form=RequestForm, fields="__all__", exclude=FIXED_FIELDS
            ),
        )
    return _default_forms[kind.name]


@dataclass(frozen=True)
class RowSet:
    """A formset of the form with what a template needs to show it and its add-a-row button."""

    prefix: str
    formset: forms.BaseModelFormSet[Any, Any]

    @property
    def add_button(self) -> str:
        """The name of its "add a row" button: ``_add_permit`` for ``permits``."""
        return f"_add_{self.prefix.removesuffix('s')}"

    @property
    def title(self) -> str:
        return str(self.model._meta.verbose_name_plural).capitalize()

    @property
    def row_label(self) -> str:
        return str(self.model._meta.verbose_name).capitalize()

    @property
    def model(self) -> type[Model]:
        """The rows' model (a formset from a factory always has one)."""
        return cast("type[Model]", self.formset.model)


class RequestEditor:
    """The request page's forms, validated and saved as one."""

    #: The kind's ``RequestForm``; default: ``default_request_form(kind)``.
    form_class: type[RequestForm] | None = None
    #: Names of the kind's own submit buttons that only show the form again, like the
    #: catalogue search: nothing is validated or saved, and ``extra_context`` gets the name.
    redisplay_buttons: tuple[str, ...] = ()

    def __init__(
        self,
        kind: RequestKind,
        *,
        requester,
        institution: Institution,
        instance: AccessRequest | None = None,
        data=None,
        files=None,
        validate: bool = True,
        bind_rows: bool = True,
        draft: bool = False,
        initial: dict[str, Any] | None = None,
    ) -> None:
        self.kind, self.requester, self.institution = kind, requester, institution
        self.instance = instance or kind.model(requester=requester, institution=institution)
        form_class = self.form_class or default_request_form(kind)
        self.form = form_class(
            data,
            files,
            instance=self.instance,
            initial=(
                {**self.prefilled(), **(initial or {})}
                if instance is None and data is None
                else initial
            ),
            institution=institution,
            validate=validate,
            draft=draft,
        )
        rows = {"data": data, "files": files} if bind_rows else {}
        self.lots = None
        if kind.items is not None:
            self.lots = lot_formset(kind)(
                **rows,
                instance=self.instance,
                prefix="lots",
                queryset=described_lots(kind),
                form_kwargs={"validate": validate},
            )
        self.extra = self.extra_formsets(rows=rows, validate=validate)

    def prefilled(self) -> dict[str, str]:
        """A new request's fields from the requester's profile, as the kind maps them
        (``RequestKind.prefill``): nobody retypes their institution and address."""
        return profile_values(self.requester, self.kind.prefill.items())

    def extra_formsets(
        self, *, rows: dict, validate: bool
    ) -> dict[str, forms.BaseModelFormSet[Any, Any]]:
        """The kind's own rows, by prefix: bind them with ``**rows`` and pass ``validate`` to
        their forms (as the lots' ``form_kwargs``)."""
        return {}

    @property
    def formsets(self) -> dict[str, forms.BaseModelFormSet[Any, Any]]:
        lots = {"lots": self.lots} if self.lots is not None else {}
        return {**lots, **self.extra}

    @property
    def extra_row_sets(self) -> list[RowSet]:
        return [RowSet(prefix, formset) for prefix, formset in self.extra.items()]

    def add_row_buttons(self) -> dict[str, str]:
        """``{button name: formset prefix}`` of the buttons that add a blank row."""
        return {RowSet(p, f).add_button: p for p, f in self.formsets.items()}

    @classmethod
    def after_failed_submit(
        cls, kind: RequestKind, access_request: AccessRequest, data, errors: ValidationError
    ) -> RequestEditor:
        """The saved draft shown again with the submission's errors beside their fields.

        The rows come from the database: the posted row forms no longer match the saved rows.
        """
        editor = cls(
            kind,
            requester=access_request.requester,
            institution=access_request.institution,
            instance=access_request,
            data=data,
            bind_rows=False,
        )
        form = editor.form
        form.is_valid()
        messages = messages_by_field(errors)
        items = messages.pop("items", [])
        if items:
            form.add_error("specimens" if "specimens" in form.fields else None, items)
        for field, field_messages in messages.items():
            form.add_error(field if field in form.fields else None, field_messages)
        return editor

    def extra_context(self, *, pressed: str | None) -> dict[str, Any]:
        """What the kind's form template shows besides the forms, on every display of the page.

        ``pressed`` is the ``redisplay_buttons`` entry that sent the form back, else ``None``.
        The forms may be unvalidated (``validate=False``): read typed values defensively.
        """
        return {}

    @classmethod
    def timeline_context(cls, access_request: Any, *, history: list) -> dict[str, Any]:
        """What the kind's timeline template shows beside the shared parts (e.g. permits).

        ``access_request`` is the kind's own request model (typed ``Any`` so that each kind's
        override names its model)."""
        return {}

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), *(f.is_valid() for f in self.formsets.values())])

    @transaction.atomic
    def save(self) -> AccessRequest:
        """Save everything in one transaction, unless the request has left the draft stage."""
        if self.instance.pk:
            model = self.kind.model
            locked = model.objects.select_for_update().only("status").get(pk=self.instance.pk)
            if not locked.is_editable_draft:
                raise ActionConflict(
                    _("This request is %(status)s: it can no longer be edited.")
                    % {"status": locked.get_status_display().lower()}
                )
        access_request = self.form.save()
        for formset in self.formsets.values():
            formset.save()
        return access_request
