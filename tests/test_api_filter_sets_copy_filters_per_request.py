"""Each request's filter set has filters and form fields of its own, copied one level deep,
not deep-copied.

django-filter deep-copies a class's filters per filter set; ``FiltersCopiedPerRequest`` copies
each filter object instead. Django deep-copies a form class's fields per form;
``FieldsCopiedPerForm`` copies each field and its widget instead. These pin what keeps two
requests apart: the filter objects, their ``parent``, a method filter calling the method of its
own filter set, each form's fields and widgets, and choices set on one form only.
"""

from __future__ import annotations

import copy

import pytest
from django.forms.boundfield import BoundField
from django.utils import translation

from collections_app.api.filtersets import (
    BoundForCleaning,
    FieldsCopiedPerForm,
    FiltersCopiedPerRequest,
    InstitutionFilterSet,
    SpecimenFilterSet,
    _plain_copy,
)
from collections_app.models import Institution, Specimen

from .filter_set_support import every_filter_set_class

pytestmark = pytest.mark.django_db


def test_every_registry_filter_set_class_copies_its_filters_per_request():
    assert isinstance(InstitutionFilterSet.base_filters, FiltersCopiedPerRequest)
    assert isinstance(SpecimenFilterSet.base_filters, FiltersCopiedPerRequest)


def test_two_filter_sets_share_no_filter_and_each_is_the_parent_of_its_own():
    queryset = Institution.objects.all()
    first = InstitutionFilterSet(data={"q": "Natural"}, queryset=queryset)
    second = InstitutionFilterSet(data={"q": "Real"}, queryset=queryset)
    for name, base in InstitutionFilterSet.base_filters.items():
        assert first.filters[name] is not second.filters[name] is not base
        assert first.filters[name].parent is first and second.filters[name].parent is second
        assert getattr(base, "parent", None) is None


def test_a_method_filter_calls_the_method_of_its_own_filter_set():
    Institution.objects.create(code="NHMX", name="Natural History Museum X", country="GB")
    Institution.objects.create(code="RBGX", name="Royal Botanic Garden X", country="GB")
    queryset = Institution.objects.all()
    natural = InstitutionFilterSet(data={"q": "Natural"}, queryset=queryset)
    royal = InstitutionFilterSet(data={"q": "Royal"}, queryset=queryset)
    assert natural.filters["q"].filter.f is natural.filters["q"]
    # Evaluated after both exist: each answers its own question.
    assert [i.code for i in royal.qs] == ["RBGX"]
    assert [i.code for i in natural.qs] == ["NHMX"]


def test_two_forms_share_no_field_widget_or_message_and_validate_apart():
    queryset = Specimen.objects.all()
    first = SpecimenFilterSet(data={"ordering": "family", "country": "FR"}, queryset=queryset)
    second = SpecimenFilterSet(data={"ordering": "sideways"}, queryset=queryset)
    assert isinstance(type(first.form).base_fields, FieldsCopiedPerForm)
    assert type(first.form) is type(second.form)  # the class is shared, its fields are not
    for name, base in type(first.form).base_fields.items():
        one, other = first.form.fields[name], second.form.fields[name]
        assert one is not other is not base
        assert one.widget is not other.widget is not base.widget
        assert one.widget.attrs is not other.widget.attrs is not base.widget.attrs
        assert one.error_messages is not other.error_messages is not base.error_messages
        assert one.validators is not other.validators is not base.validators
    # What validating only reads is shared, not copied per request: the choices.
    assert first.form.fields["ordering"].choices is second.form.fields["ordering"].choices
    assert first.is_valid() and first.form.cleaned_data["country"] == "FR"
    assert not second.is_valid() and list(second.errors) == ["ordering"]


def test_choices_or_attrs_set_on_one_form_stay_on_that_form():
    queryset = Specimen.objects.all()
    first = SpecimenFilterSet(data={}, queryset=queryset)
    first.form.fields["ordering"].choices = [("family", "family")]
    first.form.fields["ordering"].widget.attrs["class"] = "narrow"
    first.form.fields["collection"].queryset = Specimen.objects.none()
    second = SpecimenFilterSet(data={"ordering": "-updated_at"}, queryset=queryset)
    assert len(second.form.fields["ordering"].choices) > 1
    assert "class" not in second.form.fields["ordering"].widget.attrs
    assert second.form.fields["collection"].queryset.model is not Specimen
    assert second.is_valid()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_bound_field_shows_what_django_s_would_once_read(language):
    """``BoundForCleaning`` works out labels, help texts and names only when read: the same
    values Django's ``BoundField`` holds, in the request's language."""
    queryset = Specimen.objects.all()
    with translation.override(language):
        filters = SpecimenFilterSet(data={"country": "FR", "ordering": "family"}, queryset=queryset)
        form = filters.form
        assert filters.is_valid()
        for name, field in form.fields.items():
            lean, django = form[name], BoundField(form, field, name)
            assert isinstance(lean, BoundForCleaning)
            for attribute in ATTRIBUTES:
                assert getattr(lean, attribute) == getattr(django, attribute), (name, attribute)
            assert lean.value() == django.value()
            assert str(lean) == str(django)  # the widget, rendered


ATTRIBUTES = (
    "html_name",
    "html_initial_name",
    "html_initial_id",
    "label",
    "help_text",
    "renderer",
    "auto_id",
    "data",
)


def test_a_plain_copy_is_what_copy_copy_makes_of_every_filter_field_and_widget():
    """``_plain_copy`` skips ``copy.copy``'s generic rebuild; for every filter, form field and
    widget of every list it makes the same object: same class, the same attributes, shared."""
    for filter_set_class in every_filter_set_class():
        form_class = filter_set_class(queryset=filter_set_class._meta.model.objects.none()).form
        for original in [
            *filter_set_class.base_filters.values(),
            *form_class.fields.values(),
            *(field.widget for field in form_class.fields.values()),
        ]:
            plain, generic = _plain_copy(original), copy.copy(original)
            assert plain is not original
            assert type(plain) is type(generic)
            assert plain.__dict__.keys() == generic.__dict__.keys()
            assert all(plain.__dict__[k] is generic.__dict__[k] for k in generic.__dict__)


class _CopiesItself:
    def __init__(self) -> None:
        self.value = [1]

    def __copy__(self) -> _CopiesItself:
        copied = _CopiesItself()
        copied.value = self.value[:]
        return copied


class _Slotted:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = [1]


class _Pickled:
    def __init__(self) -> None:
        self.value = [1]

    def __reduce_ex__(self, protocol):  # a class saying how it is rebuilt
        return (_Pickled, ())


@pytest.mark.parametrize("cls", [_CopiesItself, _Slotted, _Pickled])
def test_a_class_that_copies_its_own_way_is_copied_by_copy_copy(cls):
    original = cls()
    copied = _plain_copy(original)
    assert type(copied) is cls
    if cls is _CopiesItself:
        assert copied.value == original.value and copied.value is not original.value
    else:
        assert copied.value == [1]
