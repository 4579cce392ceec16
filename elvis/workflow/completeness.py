"""What a draft may leave empty and a submission may not.

A draft saves with a title alone, so that a researcher can start early; the model says what a
request needs once it is submitted: its editable fields that may not be blank (``blank=False``,
dates being nullable for drafts only) and have no default, and its required many-to-many fields
(the collections).
Every face reads it from here: the request form marks these fields and relaxes them for a draft,
``perform`` refuses a submission that misses one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import AccessRequest

#: Set when a request is created, never typed by the requester.
FIXED_FIELDS = ("requester", "institution")


def required_to_submit(model: type[AccessRequest]) -> list[str]:
    """The names of the fields a submission needs, in the model's order."""
    names = []
    for field in model._meta.get_fields():
        if field.name in FIXED_FIELDS or not getattr(field, "editable", False):
            continue
        # A field with a default (a yes/no choice) is never missing.
        if getattr(field, "blank", True) or field.auto_created or field.has_default():  # type: ignore[union-attr]
            continue
        if field.concrete or field.many_to_many:
            names.append(field.name)
    return names


def missing_for_submit(request: AccessRequest) -> dict[str, list[StrOrPromise]]:
    """``{field: ["This field is required."]}`` for each such field the request leaves empty."""
    required = forms.Field.default_error_messages["required"]
    errors: dict[str, list[StrOrPromise]] = {}
    for name in required_to_submit(type(request)):
        field = request._meta.get_field(name)
        if field.many_to_many:
            empty = not getattr(request, name).exists()
        else:
            empty = getattr(request, field.attname) in field.empty_values  # type: ignore[union-attr]
        if empty:
            errors[name] = [required]
    return errors
