"""Query filters of the registry API.

Every filter validates its value: django-filter's DRF backend turns an invalid value into a 400
``{parameter: [messages]}``. Three stock behaviours are made strict here because they silently
ignore garbage: booleans (``?is_available=maybe`` would mean "no filter"), ordering (DRF drops
unknown fields) and out-of-range datetimes (which crash the database adapter instead).
"""

from __future__ import annotations

import copy
import functools
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeVar

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms.boundfield import BoundField
from django.forms.utils import pretty_name
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.filters import Filter, FilterMethod

from collections_app.models import Collection, Facility, Institution, Instrument, Specimen
from collections_app.search import ORDERINGS, search_specimens

MAX_CAPACITY = 2**31 - 1
_T = TypeVar("_T")


class StrictBooleanField(forms.Field):
    """``true``/``false``/``1``/``0`` (any case); anything else is an error, not "no filter"."""

    default_error_messages = {"invalid": _("Use true or false.")}
    _VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value: str | None) -> bool | None:
        if value in (None, ""):
            return None
        try:
            return self._VALUES[str(value).lower()]
        except KeyError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


# The stubs pin field_class to the default's class; django-filter takes any form field.
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField  # type: ignore[assignment]


class StrictIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime that the database can store (year 1 at +14:00 cannot be)."""

    default_error_messages = {
        "invalid": _("Enter an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z."),
    }

    def to_python(self, value: str | datetime | date | None) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            # In UTC: PostgreSQL refuses offsets Python accepts (e.g. +23:23, found by fuzzing).
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class StrictIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StrictIsoDateTimeField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number, as the schema says (NumberFilter alone would accept 1.5)."""

    field_class = forms.IntegerField  # type: ignore[assignment]  # as StrictBooleanFilter's


class StableOrderingFilter(django_filters.OrderingFilter):
    """A validated ``ordering`` (unknown fields: 400) ending in ``pk``, so pages never shift."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "help_text", _("Sort by these fields, comma-separated; prefix - for descending.")
        )
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if not value:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value if param), "pk")


class CountryCodeFilter(django_filters.CharFilter):
    """An ISO 3166-1 alpha-2 code in any case; a country name is an error, not an empty list."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", _("Two-letter ISO 3166-1 code, e.g. GB (any case)."))
        kwargs.setdefault(
            "validators",
            [RegexValidator(r"^[A-Za-z]{2}$", _("Use the two-letter ISO 3166-1 code, e.g. GB."))],
        )
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        return super().filter(qs, value.upper() if value else value)


def _institution_by_code(field_name: str) -> django_filters.ModelChoiceFilter:
    """An institution chosen by code (``?institution=NHM``); an unknown code is a 400."""
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        queryset=Institution.objects.all(),
        to_field_name="code",
        help_text=_("Institution code, e.g. NHM or CSIC (MNCN)."),
    )


class FiltersCopiedPerRequest(OrderedDict):
    """A filter set class's filters, copied for each request one level deep.

    django-filter deep-copies a class's filters for every filter set it makes, walking each
    filter's querysets, choices and lazy texts — about a tenth of a specimen page's CPU. A
    filter set changes only its own filters' attributes (``parent``, ``model``, the form field
    built on first use), so a copy of each filter object is enough to keep requests apart;
    a method filter's ``FilterMethod`` points at its filter, so the copy gets its own.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Filter]:
        return {name: _filter_copy(filter_) for name, filter_ in self.items()}


def _plain_copy(obj: _T) -> _T:
    """What ``copy.copy`` makes of an object that defines no copying of its own (filters,
    form fields and widgets): a new instance with the same attributes. ``copy.copy`` reaches
    it through ``__reduce_ex__`` and a generic rebuild, twice as long; these copies are made
    for every filter, field and widget of every list request."""
    cls: Any = type(obj)
    if _copies_its_own_way(cls):
        return copy.copy(obj)
    copied = cls.__new__(cls)
    copied.__dict__.update(obj.__dict__)
    return copied


@functools.cache  # per class: asked for every filter, field and widget of every request
def _copies_its_own_way(cls: type) -> bool:
    """The class (or a base) says how it is copied or pickled, or keeps no ``__dict__``."""
    return (
        hasattr(cls, "__copy__")
        or hasattr(cls, "__slots__")
        or hasattr(cls, "__setstate__")
        or cls.__reduce_ex__ is not object.__reduce_ex__
        or cls.__reduce__ is not object.__reduce__
        or cls.__getstate__ is not object.__getstate__
    )


def _filter_copy(filter_: Filter) -> Filter:
    copied = _plain_copy(filter_)
    if isinstance(copied.__dict__.get("filter"), FilterMethod):
        copied.method = filter_.method  # the setter binds a FilterMethod to the copy
    return copied


class FieldsCopiedPerForm(dict):
    """A shared form class's fields, copied for each form one level deep, each when first used.

    A Django form deep-copies its class's fields for each instance, choices and lazy texts
    included — about half of validating a list's filters, on every request. Validating
    changes none of what the fields share (choices, querysets, validators' objects), and
    assigning a field's choices or queryset replaces them on the copy: each form gets its own
    field, widget, ``attrs``, ``error_messages`` and ``validators`` list, as Django's
    ``Field.__deepcopy__`` gives it, and shares the rest. A form of a list's filters uses the
    few its request gives (``CleansGivenFields``), so each is copied when the form first
    reads it (``FieldCopiesOnUse``).
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> FieldCopiesOnUse:
        return FieldCopiesOnUse(self)


class FieldCopiesOnUse(dict):
    """One form's fields: the class's shared field under each name until the form reads it,
    then the form's own copy (``_field_copy``) from that read on.

    Every way of reading a field goes through ``__getitem__`` — ``get``, ``values``, ``items``
    and, because ``__iter__`` is its own, ``dict(fields)`` and ``{**fields}`` too (CPython
    copies a dict subclass entry by entry only when it keeps ``dict``'s iterator) — so no
    caller is handed the shared field. Assigning a field makes it the form's own.
    """

    def __init__(self, shared: dict[str, forms.Field]) -> None:
        super().__init__(shared)
        self._own: set[str] = set()

    def is_own(self, name: str) -> bool:
        """Whether this form has read (and so copied) or assigned the field ``name``."""
        return name in self._own

    def __getitem__(self, name: str) -> forms.Field:
        field = super().__getitem__(name)
        if name not in self._own:
            field = _field_copy(field)
            super().__setitem__(name, field)
            self._own.add(name)
        return field

    def __setitem__(self, name: str, field: forms.Field) -> None:
        super().__setitem__(name, field)
        self._own.add(name)

    def __iter__(self) -> Iterator[str]:
        return dict.__iter__(self)

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def values(self) -> list[forms.Field]:  # type: ignore[override]
        return [self[name] for name in self.keys()]

    def items(self) -> list[tuple[str, forms.Field]]:  # type: ignore[override]
        return [(name, self[name]) for name in self.keys()]

    def pop(self, name: str, *default: Any) -> Any:
        if name not in self:
            return dict.pop(self, name, *default)
        field = self[name]
        dict.pop(self, name)
        return field

    def popitem(self) -> tuple[str, forms.Field]:
        if not self:
            raise KeyError("popitem(): no fields")
        name = next(reversed(self.keys()))
        return name, self.pop(name)

    def setdefault(self, name: str, default: Any = None) -> Any:
        if name not in self:
            self[name] = default
        return self[name]

    def copy(self) -> dict[str, forms.Field]:
        return dict(self.items())


class CleansGivenFields(forms.Form):
    """A form of a list's filters that cleans the parameters the request gives, and gives the
    others the value their field makes of nothing, worked out once per form class.

    A request names two or three of a list's twelve-odd filters; Django copies and cleans
    every field, each absent one only to find it empty (about half of validating a list's
    filters). An absent parameter's field cleans nothing to the same value on every request
    when it is optional, enabled, has no ``clean_<name>`` of the form, and its widget reads
    absence as absence (a checkbox reads it as "off"): those are ``_absent_values``, and
    each form takes a copy of the value. Every other field, and every field of a form with a
    prefix, is cleaned as Django does, errors included.
    """

    _absent: ClassVar[dict[str, Any]]  # set on each form class by its first form

    @classmethod
    def _absent_values(cls) -> dict[str, Any]:
        found = cls.__dict__.get("_absent")
        if found is None:
            found = {}
            nothing, no_files = QueryDict(), MultiValueDict[str, Any]()
            for name, field in cls.base_fields.items():
                if field.required or field.disabled or hasattr(cls, f"clean_{name}"):
                    continue
                if not field.widget.value_omitted_from_data(nothing, no_files, name):
                    continue
                try:
                    found[name] = field.clean(
                        field.widget.value_from_datadict(nothing, no_files, name)
                    )
                except ValidationError:
                    continue
            cls._absent = found  # per class: every form of it asks
        return found

    def _clean_fields(self) -> None:
        fields = self.fields
        if self.prefix is not None or not isinstance(fields, FieldCopiesOnUse):
            super()._clean_fields()  # type: ignore[misc]  # Django's, not in its stubs
            return
        absent, shared = self._absent_values(), type(self).base_fields
        for name in list(fields.keys()):
            if (
                name in absent
                and not fields.is_own(name)
                and shared[name].widget.value_omitted_from_data(self.data, self.files, name)
            ):
                self.cleaned_data[name] = copy.copy(absent[name])
                continue
            field = fields[name]
            try:
                self.cleaned_data[name] = field._clean_bound_field(self[name])  # type: ignore[attr-defined]
                if hasattr(self, f"clean_{name}"):
                    self.cleaned_data[name] = getattr(self, f"clean_{name}")()
            except ValidationError as error:
                self.add_error(name, error)


def _field_copy(field: forms.Field) -> forms.Field:
    copied = _plain_copy(field)
    copied.widget = _plain_copy(field.widget)
    copied.widget.attrs = field.widget.attrs.copy()
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    return copied


class BoundForCleaning(BoundField):
    """A form field bound to its data, whose display attributes are worked out when read.

    Django's ``BoundField`` computes its label, help text, initial names and id as it is
    made, and a form makes one per field to clean it: for a list's filters, a form that is
    only validated, twelve labels built and help texts translated per request for nothing
    (≈ 0.18 ms of a specimen request). Read, each is the value Django's would hold.
    """

    def __init__(self, form: forms.BaseForm, field: forms.Field, name: str) -> None:
        self.form = form
        self.field = field
        self.name = name
        self.html_name = form.add_prefix(name)

    @cached_property
    def html_initial_name(self) -> str:  # type: ignore[override]
        return self.form.add_initial_prefix(self.name)

    @cached_property
    def html_initial_id(self) -> str:  # type: ignore[override]
        return self.form.add_initial_prefix(self.auto_id)

    @cached_property
    def label(self) -> Any:  # type: ignore[override]
        return pretty_name(self.name) if self.field.label is None else self.field.label

    @cached_property
    def help_text(self) -> Any:  # type: ignore[override]
        return self.field.help_text or ""

    @cached_property
    def renderer(self) -> Any:  # type: ignore[override]
        return self.form.renderer


class RegistryFilterSet(django_filters.FilterSet):
    """What every registry list offers: incremental sync by change time.

    Its filters are copied for each request one level deep (``FiltersCopiedPerRequest``), and
    its form class is built once per filter set class and language: django-filter builds a
    form field per filter and a new form class on every request (labels, choices, a
    ``type()``), about a fifth of a request list's CPU once its rows were cheap. A form
    instance still copies its fields, one level deep (``FieldsCopiedPerForm``), so no field
    is shared between requests; a filter whose queryset is a function of the request keeps
    the per-request build.
    """

    _form_classes: ClassVar[dict[tuple[type, str | None], type[forms.Form]]] = {}

    updated_after = StrictIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_(
            "Only records changed at or after this ISO 8601 time (inclusive, so a sync that "
            "resumes from the last seen updated_at misses nothing)."
        ),
    )

    @classmethod
    def get_filters(cls) -> OrderedDict[str, Filter]:
        return FiltersCopiedPerRequest(super().get_filters())

    def get_form_class(self) -> type[forms.Form]:
        if any(callable(getattr(f, "queryset", None)) for f in self.filters.values()):
            return super().get_form_class()
        key = (type(self), get_language())
        if key not in self._form_classes:
            built = super().get_form_class()
            form_class: Any = type(built.__name__, (CleansGivenFields, built), {})
            form_class.base_fields = FieldsCopiedPerForm(built.base_fields)
            form_class.bound_field_class = BoundForCleaning
            self._form_classes[key] = form_class
        return self._form_classes[key]


class InstitutionFilterSet(RegistryFilterSet):
    country = CountryCodeFilter()
    code = django_filters.CharFilter(help_text=_("Exact code."))
    code__iexact = django_filters.CharFilter(
        field_name="code", lookup_expr="iexact", help_text=_("Code in any case.")
    )
    q = django_filters.CharFilter(
        method="search", help_text=_("Name, code or city contains (any case).")
    )
    ordering = StableOrderingFilter(fields=("code", "name", "country", "updated_at"))

    class Meta:
        model = Institution
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(city__icontains=value)
        )


class CollectionFilterSet(RegistryFilterSet):
    institution = _institution_by_code("institution")
    institution_id = django_filters.ModelChoiceFilter(
        field_name="institution",
        queryset=Institution.objects.all(),
        help_text=_("Institution id."),
    )
    code = django_filters.CharFilter(help_text=_("Exact collection code."))
    discipline = django_filters.CharFilter(
        lookup_expr="iexact", help_text=_("Discipline in any case, e.g. entomology.")
    )
    accepts_loans = StrictBooleanFilter()
    accepts_visits = StrictBooleanFilter()
    accepts_digitisation = StrictBooleanFilter()
    q = django_filters.CharFilter(
        method="search",
        help_text=_("Name, code, discipline or taxonomic scope contains (any case)."),
    )
    ordering = StableOrderingFilter(
        fields=(("institution__code", "institution"), "code", "name", "updated_at")
    )

    class Meta:
        model = Collection
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(name__icontains=value)
            | Q(code__icontains=value)
            | Q(discipline__icontains=value)
            | Q(taxonomic_scope__icontains=value)
        )


class FacilityFilterSet(RegistryFilterSet):
    institution = _institution_by_code("institution")
    type = django_filters.ChoiceFilter(choices=Facility.Type.choices)
    is_active = StrictBooleanFilter()
    min_capacity = IntegerFilter(
        field_name="daily_capacity",
        lookup_expr="gte",
        min_value=0,
        max_value=MAX_CAPACITY,
        help_text=_("At least this many visitor places per day."),
    )
    q = django_filters.CharFilter(
        method="search",
        help_text=_("Name, description or an instrument's name contains (any case)."),
    )
    ordering = StableOrderingFilter(
        fields=(("institution__code", "institution"), "name", "daily_capacity", "updated_at")
    )

    class Meta:
        model = Facility
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # EXISTS rather than a join: a facility with two matching instruments is listed once
        # without DISTINCT, which would also have to cover the prefetch and the count.
        has_instrument = Exists(
            Instrument.objects.filter(facility=OuterRef("pk"), name__icontains=value)
        )
        return queryset.filter(
            Q(name__icontains=value) | Q(description__icontains=value) | has_instrument
        )


class SearchTermFilter(django_filters.CharFilter):
    """A term of the shared specimen search: validated here, applied by ``search_specimens``."""


class SpecimenFilterSet(RegistryFilterSet):
    """Specimen filters. The search terms and the ordering go to ``search_specimens`` in one
    call, so the API finds exactly what the admin and the specimen picker find, from the same
    indexes."""

    institution = _institution_by_code("collection__institution")
    collection = django_filters.ModelChoiceFilter(
        queryset=Collection.objects.all(), help_text=_("Collection id.")
    )
    collection_code = django_filters.CharFilter(
        field_name="collection__code", help_text=_("Exact collection code.")
    )
    catalog_number = SearchTermFilter(help_text=_("Exact catalogue number (any case)."))
    scientific_name = SearchTermFilter(
        help_text=_(
            "Scientific name starts with, in any case and with or without accents, e.g. carabus."
        )
    )
    family = SearchTermFilter(help_text=_("Family (any case)."))
    type_status = SearchTermFilter(help_text=_("Type status (any case), e.g. holotype."))
    country = SearchTermFilter(help_text=_("Country as recorded (any case)."))
    is_available = StrictBooleanFilter()
    q = SearchTermFilter(
        help_text=_(
            "Exact catalogue number, start of a scientific name, or family (any case). "
            "Localities are not searched."
        )
    )
    ordering = django_filters.ChoiceFilter(
        choices=[(name, name) for base in ORDERINGS for name in (base, f"-{base}")],
        help_text=_(
            "One of scientific_name (the default), catalog_number, family or updated_at; "
            "prefix - for descending. Partners syncing with updated_after page by updated_at."
        ),
    )

    class Meta:
        model = Specimen
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        terms: dict[str, str] = {}
        for name, value in self.form.cleaned_data.items():
            if name == "ordering" or isinstance(self.filters[name], SearchTermFilter):
                if value:
                    terms[name] = value
            else:
                queryset = self.filters[name].filter(queryset, value)
        return search_specimens(queryset, **terms)
