"""A list's filter form copies and cleans the parameters a request gives; every other field
takes the value Django would clean nothing to (``CleansGivenFields``, ``FieldCopiesOnUse``).

What must hold is that nothing a client sees changes: for every filter of every list, given
or not, empty, valid or garbage, the cleaned values and the errors are Django's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django import forms
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.http import QueryDict

from collections_app.api.filtersets import (
    BoundForCleaning,
    CleansGivenFields,
    FieldCopiesOnUse,
    FieldsCopiedPerForm,
    SpecimenFilterSet,
)
from collections_app.models import Institution, Specimen

from .filter_set_support import every_filter_set_class

pytestmark = pytest.mark.django_db

#: What a client may send for any filter: nothing, an empty value, and values each kind of
#: field takes or refuses (a number, a boolean, a time, a code, garbage).
VALUES = ["", "1", "true", "maybe", "2026-01-31T12:00:00Z", "GB", "-updated_at", "x\u00e9<>"]


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, QuerySet) else value


def _cleaned(form: forms.Form) -> tuple[dict[str, Any], dict[str, Any]]:
    form.is_valid()
    return {k: _plain(v) for k, v in form.cleaned_data.items()}, form.errors.get_json_data()


def _django_s(form_class: type[forms.Form], data: QueryDict) -> tuple[dict, dict]:
    """The same form class's fields cleaned by Django's own ``BaseForm._clean_fields``, in the
    steps of its ``full_clean``."""
    form = form_class(data)
    form._errors = ErrorDict(renderer=form.renderer)
    form.cleaned_data = {}
    forms.BaseForm._clean_fields(form)  # type: ignore[attr-defined]
    form._clean_form()
    form._post_clean()
    return {k: _plain(v) for k, v in form.cleaned_data.items()}, form.errors.get_json_data()


def test_every_filter_of_every_list_cleans_as_django_does_given_or_not():
    Institution.objects.create(code="GB1", name="One", country="GB")
    for filter_set_class in every_filter_set_class():
        queryset = filter_set_class._meta.model.objects.none()
        form_class = type(filter_set_class(queryset=queryset).form)
        assert issubclass(form_class, CleansGivenFields), filter_set_class
        cases = [{}] + [{name: value} for name in form_class.base_fields for value in VALUES]
        for case in cases:
            data = QueryDict(urlencode(case))
            lean = _cleaned(filter_set_class(data=data, queryset=queryset).form)
            assert lean == _django_s(form_class, data), (filter_set_class.__name__, case)


def test_an_absent_filter_is_neither_copied_nor_cleaned():
    filters = SpecimenFilterSet(
        data=QueryDict("q=carab&page_size=50"), queryset=Specimen.objects.none()
    )
    assert filters.is_valid()
    fields = filters.form.fields
    assert isinstance(fields, FieldCopiesOnUse)
    assert fields.is_own("q")
    absent = [name for name in list(fields) if name != "q"]
    assert absent and not any(fields.is_own(name) for name in absent)
    assert (
        filters.form.cleaned_data["country"] == ""
        and filters.form.cleaned_data["collection"] is None
    )


class _Form(CleansGivenFields):
    """Every kind of field the lean path must leave to Django, and one it takes."""

    needed = forms.CharField()
    fixed = forms.CharField(required=False, disabled=True, initial="kept")
    ticked = forms.BooleanField(required=False)  # a checkbox reads absence as "off"
    hooked = forms.CharField(required=False)
    many = forms.MultipleChoiceField(
        required=False, choices=[("a", "a"), ("b", "b")], widget=forms.MultipleHiddenInput
    )

    def clean_hooked(self) -> str:
        return f"hook saw {self.cleaned_data['hooked']!r}"


_Form.base_fields = FieldsCopiedPerForm(_Form.base_fields)
_Form.bound_field_class = BoundForCleaning


@pytest.mark.parametrize(
    "data", ["", "needed=yes", "needed=yes&ticked=on&hooked=h&many=a&many=b", "many=c"]
)
def test_required_disabled_checkbox_and_hooked_fields_are_cleaned_as_django_does(data):
    assert set(_Form._absent_values()) == {"many"}
    assert _cleaned(_Form(QueryDict(data))) == _django_s(_Form, QueryDict(data))


def test_each_form_has_its_own_absent_value():
    first, second = _Form(QueryDict("needed=1")), _Form(QueryDict("needed=1"))
    assert first.is_valid() and second.is_valid()
    assert first.cleaned_data["many"] == [] == second.cleaned_data["many"]
    first.cleaned_data["many"].append("a")
    assert second.cleaned_data["many"] == [] and _Form._absent_values()["many"] == []


def test_a_form_with_a_prefix_is_cleaned_by_django():
    form = _Form(QueryDict("p-needed=1"), prefix="p")
    assert form.is_valid()
    assert all(form.fields.is_own(name) for name in list(form.fields))


def test_no_way_of_reading_a_form_s_fields_hands_out_the_shared_field():
    shared = _Form.base_fields
    reads = [
        lambda f: [f["needed"]],
        lambda f: [f.get("needed")],
        lambda f: list(f.values()),
        lambda f: [field for _name, field in f.items()],
        lambda f: list(dict(f).values()),
        lambda f: list({**f}.values()),
        lambda f: list(f.copy().values()),
        lambda f: [f.pop("needed")],
        lambda f: [f.setdefault("needed")],
        lambda f: [f.popitem()[1]],
    ]
    for read in reads:
        fields = _Form().fields
        for field in read(fields):
            assert isinstance(field, forms.Field)
            assert all(field is not original for original in shared.values())
    fields = _Form().fields
    assert fields.get("missing", "default") == "default"
    assert fields.pop("missing", None) is None
    replaced = forms.CharField()
    fields["needed"] = replaced
    assert fields["needed"] is replaced and fields.is_own("needed")
