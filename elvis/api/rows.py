"""List pages written by a row writer compiled once per serializer class, not by DRF's loop.

``Serializer(page, many=True).data`` asks every field of every row how to find its value
(``get_attribute``, ``_readable_fields``), whether it is ``None``, and how to show it: for a
50-row page of requests that is a few thousand field calls, most of a list's CPU once its
queries are few. A ``RowWriter`` looks at the serializer's fields once and keeps, per field,
a plain function of the row: a model field read by attribute and shown as DRF shows it
(``_plain``), a summary written by its own writer once per object of the page (``_summary``),
a many-to-many summary list read for the whole page in one query, as plain rows of the columns
the summary shows when those are all it reads (``_many_summaries``). Any
field it does not recognise is left to DRF: a copy of the field, bound to a serializer of the
request's context, writes it as it always did. A new field type is then slower, never wrong;
``tests/contract/test_contract_api_list_rows.py`` holds the writer to the serializer's exact output.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models.fields.related_descriptors import (
    ManyToManyDescriptor,
    ReverseOneToOneDescriptor,
)
from django.utils import timezone
from django.utils.choices import CallableChoiceIterator
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from rest_framework import ISO_8601, serializers
from rest_framework import fields as drf
from rest_framework.relations import ManyRelatedField, PKOnlyObject
from rest_framework.settings import api_settings

from elvis.api.fields import CalledField, SummaryRelatedField
from elvis.statements import CompiledQuery


class Page:
    """What the rows of one answer share: the request's context, its time zone, what was
    already written (summaries by object, choice labels by value) and the page's related
    objects read in one query each."""

    def __init__(self, context: dict[str, Any], rows: list[Any]) -> None:
        self.context = context
        self.rows = rows
        self.timezone: tzinfo | None = timezone.get_current_timezone() if settings.USE_TZ else None
        self.written: dict[tuple[int, Any], Any] = {}
        self.related: dict[int, dict[Any, list[Any]]] = {}
        self._bound: dict[int, drf.Field] = {}
        self._parents: dict[type, serializers.BaseSerializer] = {}

    def bound(self, field: drf.Field, serializer_class: type[serializers.BaseSerializer]) -> Any:
        """A copy of ``field`` bound to a serializer of the request's context (one per class
        and page), for DRF to write it as that serializer would."""
        if id(field) not in self._bound:
            if serializer_class not in self._parents:
                self._parents[serializer_class] = serializer_class(context=self.context)
            copied = self._bound[id(field)] = copy.deepcopy(field)
            copied.bind(str(field.field_name), self._parents[serializer_class])
        return self._bound[id(field)]


#: A field's writer: its value (not ``None``) and the page → the JSON value.
Write = Callable[[Any, Page], Any]


def _uses(field: drf.Field, base: type[drf.Field]) -> bool:
    """Whether ``field`` shows values as ``base`` does (a subclass that overrides nothing)."""
    return isinstance(field, base) and type(field).to_representation is base.to_representation


def _datetime(field: drf.Field) -> Write | None:
    if hasattr(field, "format") or hasattr(field, "timezone"):
        return None
    if api_settings.DATETIME_FORMAT.lower() != ISO_8601:
        return None

    def write(value: datetime, page: Page) -> Any:
        if page.timezone is None or not isinstance(value, datetime) or timezone.is_naive(value):
            return field.to_representation(value)
        text = value.astimezone(page.timezone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def _date(field: drf.Field) -> Write | None:
    if hasattr(field, "format") or api_settings.DATE_FORMAT.lower() != ISO_8601:
        return None
    return lambda value, page: value if isinstance(value, str) else value.isoformat()


_DISPLAY = re.compile(r"get_(\w+)_display")
_DJANGO_DISPLAY = models.Model._get_FIELD_display  # type: ignore[attr-defined]


def _called(field: CalledField, model: type[models.Model] | None) -> Write:
    """A choice's label once per value and page, from the labels of the field's choices in the
    request's language (``_choice_labels``); any other method called per row."""
    method = field.method
    match = _DISPLAY.fullmatch(method)
    if model is None or match is None or not _is_django_display(model, method):
        return lambda obj, page: str(getattr(obj, method)())
    name = match.group(1)
    if isinstance(_choice_field(model, name).choices, CallableChoiceIterator):
        return lambda obj, page: str(getattr(obj, method)())  # choices that may change
    key = id(field)

    def write(obj: Any, page: Page) -> str:
        value = getattr(obj, name)
        try:
            return page.written[key, value]
        except KeyError:
            labels = _choice_labels(model, name, get_language())
            found = make_hashable(value)
            label = labels[found] if found in labels else str(value)
            page.written[key, value] = label
            return label

    return write


@lru_cache(maxsize=256)  # per model field and language: a handful of each
def _choice_labels(model: type[models.Model], name: str, language: str | None) -> dict[Any, str]:
    """The labels of the field's choices, as ``get_<name>_display`` gives them in
    ``language`` (the active one when asked). Django's method builds a dict of every choice
    per call, hashing each lazy label, which translates it: a dozen translations for one
    label, several times a page."""
    field = _choice_field(model, name)
    return {make_hashable(value): str(label) for value, label in field.flatchoices}


def _choice_field(model: type[models.Model], name: str) -> models.Field:
    """The model's field ``name``: one with choices, since the model has its display."""
    return cast(models.Field, model._meta.get_field(name))


def _is_django_display(model: type[models.Model], method: str) -> bool:
    """Whether ``model.<method>`` is Django's ``get_FOO_display`` (a function of the field's
    value and the language), not a method of the model's own."""
    partial = getattr(getattr(model, method, None), "_partialmethod", None)
    return getattr(partial, "func", None) is _DJANGO_DISPLAY


def _bigint_as_text(field: drf.Field) -> bool:
    return bool(getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING))


def _plain(field: drf.Field) -> Write | None:
    """How DRF's own field types show a value read from a model, for those types."""
    if _uses(field, drf.IntegerField) or (
        _uses(field, drf.BigIntegerField) and not _bigint_as_text(field)
    ):
        return lambda value, page: int(value)
    if _uses(field, drf.CharField):
        return lambda value, page: str(value)
    if _uses(field, drf.BooleanField):
        return lambda value, page: value if type(value) is bool else field.to_representation(value)
    if _uses(field, drf.ChoiceField):
        choices = field.choice_strings_to_values  # type: ignore[attr-defined]
        return lambda value, page: choices.get(str(value), value)
    if _uses(field, drf.DateTimeField):
        return _datetime(field)
    if _uses(field, drf.DateField):
        return _date(field)
    if _uses(field, drf.DecimalField) or _uses(field, drf.FloatField):
        return lambda value, page: field.to_representation(value)
    return None


def _summary(writer: RowWriter) -> Write:
    """A nested object written once per page (a requester of many rows is one dict)."""
    key = id(writer)

    def write(obj: Any, page: Page) -> dict[str, Any]:
        pk = getattr(obj, "pk", None)
        if pk is None:
            return writer.row(obj, page)
        try:
            return page.written[key, pk]
        except KeyError:
            summary = page.written[key, pk] = writer.row(obj, page)
            return summary

    return write


def _many_summaries(name: str, summary: Write, writer: RowWriter) -> Write:
    """A many-to-many relation's summaries, the page's related objects read in one query
    (Django's prefetch builds a manager and a filtered queryset per row): as plain rows of the
    columns the summary shows when those are all it reads (``RowWriter.values``: a
    collection's summary shows three of its twenty columns, and 50 model instances cost more
    than the query), else of those columns, or whole."""
    key = id(summary)

    def write(obj: Any, page: Page) -> list[dict[str, Any]]:
        if key not in page.related:
            page.related[key] = _related_of(page.rows, name, writer.columns, writer.values)
        return [summary(related, page) for related in page.related[key].get(obj.pk, ())]

    return write


def _related_of(
    rows: list[Any],
    name: str,
    columns: tuple[str, ...] | None = None,
    values: bool = False,
) -> dict[Any, list[Any]]:
    """``rows``' related objects through ``name``, by row pk, in the relation's own order:
    model instances (of ``columns`` only, if given), or with ``values`` plain rows carrying
    ``columns`` and ``pk`` as attributes."""
    if not rows:
        return {}
    prefetched = getattr(rows[0], "_prefetched_objects_cache", {})
    manager = getattr(rows[0], name)
    if manager.prefetch_cache_name in prefetched:
        return {row.pk: list(getattr(row, name).all()) for row in rows}
    if values and columns is not None:
        related, related_key, row_key = _plain_rows(type(rows[0]), name, columns, rows)
    else:
        # Django's own prefetch query, and its keys of a related object and of a row.
        queryset, related_key, row_key, *_ = manager.get_prefetch_querysets(rows)
        related = queryset.only(*columns) if columns is not None else queryset
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for one in related:
        grouped[related_key(one)].append(one)
    return {row.pk: grouped.get(row_key(row), []) for row in rows}


def _plain_rows(
    model: type[models.Model], name: str, columns: tuple[str, ...], rows: list[Any]
) -> tuple[list[SimpleNamespace], Callable[[Any], Any], Callable[[Any], Any]]:
    """``rows``' objects related through ``name``, as namespaces of ``columns``, ``pk`` and the
    keys Django's prefetch groups them by (its extra columns), with the keys of a related
    object and of a row, as Django's prefetch computes them.

    Read by the prefetch query compiled once per page length (``_RELATED``): the query and the
    names it selects depend on the relation only, the row ids fill its ``IN`` list."""
    shape = _prefetch_of(model, name, columns)
    pks = [row.pk for row in rows]
    found = []
    for values in _RELATED.rows(*pks, model=model, name=name, names=shape.names, count=len(pks)):
        one = SimpleNamespace(**dict(zip(shape.names, values, strict=True)))
        one.pk = getattr(one, shape.pk)
        found.append(one)
    connection = connections[rows[0]._state.db or "default"]  # this thread's

    def related_key(one: Any) -> tuple[Any, ...]:
        return tuple(
            field.get_db_prep_value(
                getattr(one, f"_prefetch_related_val_{field.attname}"), connection
            )
            for field in shape.through.local_related_fields
        )

    def row_key(row: Any) -> tuple[Any, ...]:
        return tuple(
            field.get_db_prep_value(getattr(row, field.attname), connection)
            for field in shape.through.foreign_related_fields
        )

    return found, related_key, row_key


def _prefetch_query(*pks: Any, model: type[models.Model], name: str, names: tuple, count: int):
    """Django's prefetch query of ``name`` for the ``model`` rows ``pks``, as ``names``."""
    rows = [model(pk=pk) for pk in pks]
    queryset, *_ = getattr(rows[0], name).get_prefetch_querysets(rows)
    return queryset.values_list(*names)


_RELATED = CompiledQuery(_prefetch_query)
#: Django's name for a prefetched row's key column (``get_prefetch_querysets`` of a
#: many-to-many manager), followed by the through model's field.
_PREFETCHED = "_prefetch_related_val_"


@dataclass(frozen=True)
class _PrefetchShape:
    #: What to select: the summary's columns, the related pk, the prefetch's key columns.
    names: tuple[str, ...]
    pk: str
    #: The through model's foreign key to the rows (its keys are the prefetch's).
    through: models.ForeignKey


@lru_cache(maxsize=64)
def _prefetch_of(model: type[models.Model], name: str, columns: tuple[str, ...]) -> _PrefetchShape:
    """What reading ``name``'s prefetch as rows needs, found once from Django's own prefetch."""
    stub = model(pk=0)
    manager = getattr(stub, name)
    queryset, *_ = manager.get_prefetch_querysets([stub])
    pk = queryset.model._meta.pk.name
    names = (*dict.fromkeys((*columns, pk)), *queryset.query.extra)
    return _PrefetchShape(names, pk, manager.through._meta.get_field(manager.source_field_name))


class RowWriter:
    """A serializer class's rows as plain functions of the object, compiled from its fields.

    ``row(obj, page)`` is ``serializer.to_representation(obj)``: the same keys in the same
    order and the same values. ``fast`` tells whether every field has a writer of its own (a
    summary nested in a row must: DRF's fields need their place in a serializer tree).
    """

    def __init__(
        self,
        serializer_class: type[serializers.BaseSerializer],
        model: type[models.Model] | None = None,
    ) -> None:
        self.serializer_class = serializer_class
        template = serializer_class()
        model = getattr(getattr(serializer_class, "Meta", None), "model", model)
        own_loop = type(template).to_representation is not serializers.Serializer.to_representation
        self.fields: list[tuple[str, str | None, Write]] = []
        self.fast = not own_loop
        self.columns = _columns(template, model)
        #: Whether a plain row of ``columns`` writes as a model instance does: every field
        #: reads its column as it is (no method called on the object).
        self.values = self.columns is not None and not any(
            isinstance(field, CalledField)
            for field in template._readable_fields  # type: ignore[attr-defined]
        )
        self.model = model
        #: The writers of the summaries of the row's forward relations, by relation.
        self.summaries: dict[str, RowWriter] = {}
        self._unread: dict[tuple[str, ...], list[str]] = {}
        for field in template._readable_fields:  # type: ignore[attr-defined]
            write = None if own_loop else _writer(field, model)
            if write is None:
                self.fast = False
                self.fields.append((field.field_name, None, self._drf(field)))
            else:
                # A method's text and a relation's list are written from the row itself.
                whole = isinstance(field, CalledField | ManyRelatedField)
                attribute = None if whole else field.source
                self.fields.append((field.field_name, attribute, write))
                if (summary := _summary_writer(field, model)) is not None:
                    self.summaries[str(field.source)] = summary

    def unread_columns(self, relations: Iterable[str]) -> list[str]:
        """``relation__column`` for each column of the ``relations`` (joined to the rows,
        ``select_related``) that their summaries never read: the list defers them instead of
        reading and converting, per row, an institution's twenty columns to show three. A
        summary that may read more than its columns (a method) defers nothing."""
        relations = tuple(relations)
        if relations in self._unread:
            return self._unread[relations]
        unread: list[str] = []
        for relation in relations:
            summary = self.summaries.get(relation)
            if summary is None or summary.columns is None or summary.model is None:
                continue
            read = {*summary.columns, summary.model._meta.pk.name}
            unread += [
                f"{relation}__{field.name}"
                for field in summary.model._meta.concrete_fields
                if field.name not in read
            ]
        self._unread[relations] = unread  # a list asks on every request: answered once
        return unread

    def _drf(self, field: drf.Field) -> Write:
        """DRF writes the field: a copy bound, per page, to a serializer of its context."""

        def write(obj: Any, page: Page) -> Any:
            bound = page.bound(field, self.serializer_class)
            try:
                attribute = bound.get_attribute(obj)
            except drf.SkipField:
                return _SKIP
            none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            return None if none is None else bound.to_representation(attribute)

        return write

    def row(self, obj: Any, page: Page) -> dict[str, Any]:
        answer = {}
        for name, attribute, write in self.fields:
            if attribute is None:
                value = write(obj, page)
                if value is _SKIP:
                    continue
                answer[name] = value
            else:
                value = getattr(obj, attribute)
                answer[name] = None if value is None else write(value, page)
        return answer

    def rows(self, objects: Iterable[Any], context: dict[str, Any]) -> list[dict[str, Any]]:
        """``serializer_class(objects, many=True, context=context).data``, as plain lists."""
        rows = list(objects)
        page = Page(context, rows)
        return [self.row(obj, page) for obj in rows]


_SKIP = object()


def _summary_writer(field: drf.Field, model: type[models.Model] | None) -> RowWriter | None:
    """The writer of ``field``'s summary of one related object (a forward relation's)."""
    if model is None or isinstance(field, ManyRelatedField | serializers.ListSerializer):
        return None
    if isinstance(field, SummaryRelatedField):
        return row_writer_for(field.summary, _related_model(model, str(field.source)))
    if isinstance(field, serializers.BaseSerializer):
        return row_writer_for(type(field), _related_model(model, str(field.source)))
    return None


def _writer(field: drf.Field, model: type[models.Model] | None) -> Write | None:
    """The field's own writer, or ``None`` for DRF to write it."""
    if isinstance(field, CalledField):
        return _called(field, model)  # reads the object itself (source "*")
    source = str(field.source)  # set by binding
    if model is None or not _reads_attribute(source, model):
        return None  # what the objects are is not known, or DRF may call what it reads
    related = _related_model(model, source)
    if isinstance(field, ManyRelatedField):
        child = field.child_relation
        if isinstance(child, SummaryRelatedField) and _is_many_to_many(model, source):
            summary = row_writer_for(child.summary, related)
            if not summary.fast:
                return None
            return _many_summaries(source, _summary(summary), summary)
        return None
    if (nested := _summary_writer(field, model)) is not None:
        return _summary(nested) if nested.fast else None
    if isinstance(field, serializers.BaseSerializer):
        return None  # a nested list
    return _plain(field)


def _columns(
    template: serializers.BaseSerializer, model: type[models.Model] | None
) -> tuple[str, ...] | None:
    """The model's columns that the serializer's fields read, when every field reads one
    column as it is or calls a method that declares the columns it reads (no other method,
    no relation or annotation); None when they may read more, and then objects are read
    whole: a deferred column read later costs a query per object."""
    names: list[str] = []
    for field in template._readable_fields:  # type: ignore[attr-defined]
        if isinstance(field, CalledField) and field.reads is not None and model is not None:
            names += field.reads  # a method whose columns are declared
            continue
        if model is None or isinstance(field, CalledField | serializers.BaseSerializer):
            return None
        try:
            column = model._meta.get_field(str(field.source))
        except FieldDoesNotExist:
            return None
        if not column.concrete or column.is_relation:
            return None
        names.append(column.name)
    return tuple(names)


def _reads_attribute(source: str, model: type[models.Model]) -> bool:
    """Whether DRF reads ``source`` as one plain attribute: a model field, a relation or an
    annotation (a name the model class does not have), never a method or property, which
    DRF may call."""
    if source in ("*", "") or "." in source:
        return False
    attribute = model.__dict__.get(source)
    if isinstance(attribute, ReverseOneToOneDescriptor):
        return False  # a missing object raises where DRF shows null
    if attribute is None:
        return not any(source in vars(cls) for cls in model.__mro__)
    return not callable(attribute) and not isinstance(attribute, property)


def _related_model(model: type[models.Model], name: str) -> type[models.Model] | None:
    """The model a relation named ``name`` leads to (``None`` for anything else)."""
    try:
        return model._meta.get_field(name).related_model
    except FieldDoesNotExist:
        return None


def _is_many_to_many(model: type[models.Model] | None, name: str) -> bool:
    return model is not None and isinstance(getattr(model, name, None), ManyToManyDescriptor)


_writers: dict[tuple[type, type | None], RowWriter] = {}


def row_writer_for(
    serializer_class: type[serializers.BaseSerializer], model: type[models.Model] | None = None
) -> RowWriter:
    """The writer of ``serializer_class`` (of objects of ``model`` when its Meta names none:
    a nested serializer of a relation), compiled on first use."""
    key = (serializer_class, model)
    if key not in _writers:
        _writers[key] = RowWriter(serializer_class, model)
    return _writers[key]
