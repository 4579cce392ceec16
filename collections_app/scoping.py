"""Who may do what in the registry: the one place that answers it for admin, API and pages.

Reading the registry is public. Writing is for site staff (everything) and for coordinators of
the institution that owns the object. Curators see their institution's data in the admin.
"""

from __future__ import annotations

from django.db.models import Model

from .models import Institution
from .roles import coordinated_institution_ids, is_site_staff


def institution_of(obj: Model) -> Institution | None:
    """The institution that owns a registry object (itself for an institution)."""
    if isinstance(obj, Institution):
        return obj
    for path in ("institution", "collection", "facility"):
        if hasattr(obj, path + "_id"):
            return institution_of(getattr(obj, path))
    return None


def owner_institution_id(obj: Model) -> int | None:
    if isinstance(obj, Institution):
        return obj.pk
    if hasattr(obj, "institution_id"):
        return obj.institution_id
    inst = institution_of(obj)
    return inst.pk if inst else None


def can_edit(user, obj: Model) -> bool:
    """May ``user`` change or delete this registry object?"""
    if is_site_staff(user):
        return True
    return owner_institution_id(obj) in coordinated_institution_ids(user)


def can_edit_institution_id(user, institution_id: int | None) -> bool:
    """May ``user`` create objects under this institution?"""
    if is_site_staff(user):
        return True
    return institution_id is not None and institution_id in coordinated_institution_ids(user)
