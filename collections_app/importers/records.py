"""Matching and saving registry rows, shared by every importer so they agree on identity.

``save`` writes only what changed (so an unchanged re-run writes nothing and says so) and validates
each value with the model field's own rules, turning a bad value into a ``RowError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from collections_app.models import Institution

from .report import Outcome, RowContext, RowError

# Contact details are nice to have: a malformed one is dropped with a warning, not the whole row.
SOFT_FIELDS = frozenset({"website", "contact_email"})


def converted(raw: dict[str, tuple[str, Callable[[object], Any], object]]) -> dict[str, Any]:
    """Model field values from ``{field: (name in the source, converter, raw value)}``.

    Values the source leaves empty are left out, so they never blank what is stored; a value the
    converter rejects fails the row, naming it as the source does.
    """
    result: dict[str, Any] = {}
    for field, (source_name, convert, raw_value) in raw.items():
        try:
            value = convert(raw_value)
        except ValueError as exc:
            raise RowError(f"{source_name}: {exc}") from exc
        if value is not None:
            result[field] = value
    return result


def save(instance: models.Model, values: dict[str, Any], ctx: RowContext) -> None:
    values = _validated(instance, values, ctx)
    if instance.pk is None:
        for name, value in values.items():
            setattr(instance, name, value)
        instance.save()
        outcome = Outcome.CREATED
    else:
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        for name in changed:
            setattr(instance, name, values[name])
        if changed:
            if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
                changed.append("updated_at")
            instance.save(update_fields=changed)
        outcome = Outcome.UPDATED if changed else Outcome.UNCHANGED
    ctx.record(instance, outcome)


def _validated(instance: models.Model, values: dict[str, Any], ctx: RowContext) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: list[str] = []
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if field.is_relation:
            cleaned[name] = value
            continue
        try:
            cleaned[name] = cast("models.Field", field).clean(value, instance)  # not a relation
        except ValidationError as exc:
            reason = f"{name}: {' '.join(exc.messages)}"
            if name in SOFT_FIELDS:
                ctx.warn(_("%(reason)s (value ignored)") % {"reason": reason})
            else:
                errors.append(reason)
    if errors:
        raise RowError("; ".join(errors))
    return cleaned


def find_institution(
    ctx: RowContext, *, code: str, grid_id: str | None = None, grscicoll_key: str | None = None
) -> Institution | None:
    """The institution a source row means: by GRSciColl key, then code, then GRID id.

    A match by key or GRID id keeps the stored code (other data refers to it). A code match that
    contradicts the row's GRID id or GRSciColl key is an error, not a merge of two institutions.
    """
    if grscicoll_key:
        found = Institution.objects.filter(grscicoll_key=grscicoll_key).first()
        if found is not None:
            return found
    found = Institution.objects.filter(code=code).first()
    if found is not None:
        if grid_id and found.grid_id and found.grid_id != grid_id:
            raise RowError(
                _("code %(code)r belongs to an institution with GRID id %(stored)s, not %(grid)s")
                % {"code": code, "stored": found.grid_id, "grid": grid_id}
            )
        _check_key(found, grscicoll_key)
        return found
    if grid_id:
        found = Institution.objects.filter(grid_id=grid_id).order_by("pk").first()
        if found is not None:
            _check_key(found, grscicoll_key)
            ctx.warn(
                _("code %(code)r matched %(stored)r by GRID id %(grid)s; the stored code is kept")
                % {"code": code, "stored": found.code, "grid": grid_id}
            )
            return found
    return None


def _check_key(found: Institution, grscicoll_key: str | None) -> None:
    if grscicoll_key and found.grscicoll_key and found.grscicoll_key != grscicoll_key:
        raise RowError(
            _("institution %(code)r is already linked to GRSciColl institution %(key)s")
            % {"code": found.code, "key": found.grscicoll_key}
        )
