"""Instances a ``CompiledQuery`` makes are the ones Django's ``from_db`` makes.

They are made without ``Model.__init__`` where nothing can tell (``elvis.statements._builder``):
the same values in the same attributes, the same deferred fields and state, their
``select_related`` objects (nested, with a column subset) cached the same way, a field with a
setter of its own (a country) set through it, and ``pre_init``/``post_init`` receivers still
called, as Django's path calls them, once a receiver is connected.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Model
from django.db.models.signals import post_init
from django.test.utils import isolate_apps
from django_countries.fields import Country, CountryDescriptor

from collections_app.models import Collection, Institution, Membership
from elvis.statements import CompiledQuery, _setters

pytestmark = pytest.mark.django_db


def state_of(obj: Model | None) -> Any:
    """Everything an instance holds: its attributes, its state and, nested, its cached
    related objects."""
    if obj is None:
        return None
    attributes = {name: value for name, value in vars(obj).items() if name != "_state"}
    related = {name: state_of(value) for name, value in obj._state.fields_cache.items()}
    return (
        type(obj),
        attributes,
        {name: type(value) for name, value in attributes.items()},
        obj._state.adding,
        obj._state.db,
        obj.get_deferred_fields(),
        related,
    )


@pytest.fixture
def memberships() -> list[Membership]:
    users = get_user_model().objects
    made = []
    for n in range(3):
        museum = Institution.objects.create(code=f"M{n}", name=f"Museum {n}", country="gb")
        Collection.objects.create(institution=museum, code="ENT", name="Insects")
        person = users.create_user(email=f"c{n}@example.org", password="x", full_name=f"C {n}")
        made.append(
            Membership.objects.create(user=person, institution=museum, role=Membership.Role.CURATOR)
        )
    return made


def memberships_of(code: str):
    return (
        Membership.objects.select_related("user", "institution")
        .only("role", "user__email", "user__full_name", "institution__code")
        .filter(institution__code__startswith=code)
        .order_by("pk")
    )


def collections_of(code: str):
    return Collection.objects.select_related("institution").filter(institution__code=code)


def test_instances_hold_what_djangos_hold_with_partial_and_related_columns(memberships):
    lookup = CompiledQuery(memberships_of)
    lookup.rows("M")  # compiled; the next call runs the compiled statement
    compiled = lookup.rows("M")
    assert len(compiled) == 3
    assert [state_of(one) for one in compiled] == [state_of(one) for one in memberships_of("M")]
    assert compiled[0].user.email == "c0@example.org"
    assert compiled[0].institution.code == "M0"


def test_a_field_with_its_own_setter_is_set_through_it(memberships, monkeypatch):
    set_values: list[Any] = []
    original = CountryDescriptor.__set__

    def recording(self, instance, value):
        set_values.append(value)
        original(self, instance, value)

    monkeypatch.setattr(CountryDescriptor, "__set__", recording)
    lookup = CompiledQuery(collections_of)
    lookup.rows("M1")
    set_values.clear()
    [collection] = lookup.rows("M1")
    assert set_values == ["GB"]  # CountryField's descriptor cleaned what the row held
    [expected] = collections_of("M1")
    assert set_values == ["GB", "GB"]
    assert state_of(collection) == state_of(expected)
    assert isinstance(collection.institution.country, Country)
    assert collection.institution.country == "GB"


def test_compiled_instances_save_as_updates(memberships):
    lookup = CompiledQuery(collections_of)
    lookup.rows("M2")
    [collection] = lookup.rows("M2")
    collection.name = "Beetles"
    collection.save(update_fields=["name"])
    assert Collection.objects.filter(name="Beetles").count() == 1
    assert Collection.objects.count() == 3


def test_init_receivers_are_called_for_every_instance_as_djangos_path_calls_them(memberships):
    lookup = CompiledQuery(collections_of)
    lookup.rows("M0")
    seen: list[tuple[type, Any]] = []

    def receiver(sender: type, instance: Model, **kwargs: Any) -> None:
        seen.append((sender, instance.pk))

    post_init.connect(receiver, sender=Institution)
    try:
        [collection] = lookup.rows("M0")
    finally:
        post_init.disconnect(receiver, sender=Institution)
    assert seen == [(Institution, collection.institution.pk)]
    [collection] = lookup.rows("M0")
    assert len(seen) == 1  # disconnected: made without __init__ again


@isolate_apps("collections_app")
def test_only_models_made_djangos_way_are_made_without_init():
    class Plain(models.Model):  # noqa: DJ008 (never shown)
        owner = models.ForeignKey(Institution, on_delete=models.CASCADE)
        name = models.CharField(max_length=10)
        scan = models.FileField()

        class Meta:
            app_label = "collections_app"

    class OwnInit(models.Model):  # noqa: DJ008 (never shown)
        class Meta:
            app_label = "collections_app"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    class OwnSetattr(models.Model):  # noqa: DJ008 (never shown)
        class Meta:
            app_label = "collections_app"

        def __setattr__(self, name: str, value: Any) -> None:
            super().__setattr__(name, value)

    class OwnFromDb(models.Model):  # noqa: DJ008 (never shown)
        class Meta:
            app_label = "collections_app"

        @classmethod
        def from_db(cls, db, field_names, values):
            return super().from_db(db, field_names, values)

    # A file's descriptor sets through its own setter; a foreign key's id is stored plainly.
    assert _setters(Plain) == {"scan"}
    assert [_setters(model) for model in (OwnInit, OwnSetattr, OwnFromDb)] == [None] * 3
