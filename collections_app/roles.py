"""The role vocabulary, in one place: who a user is towards institutions and requests.

Two different things were both called "staff"; here they have two names:

- **site staff** — ``is_staff`` / ``is_superuser`` users, who administer the whole site;
- **request handlers** — members of an institution who act as its side of an access request
  (curators, coordinators, and partner systems' API clients). Towards one request they hold the
  workflow table's ``curator`` role (``elvis.workflow.table``), the requester the ``requester``
  role.

Membership roles are grouped by what they let someone do, and every app asks these groups
(never a hand-written tuple of roles of its own). Only memberships in force count
(``Membership.objects.current``): after a member's last day (``ends_on``) they are an outsider
to the institution everywhere, because every face asks here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from elvis.statements import CompiledQuery

from .models import Membership

Role = Membership.Role

#: Act on requests to the institution (review, approve, ship …) and see them.
HANDLES_REQUESTS = (Role.CURATOR, Role.COORDINATOR, Role.API_CLIENT)
#: People of the institution: they use the admin and are told of their institution's requests.
INSTITUTION_PEOPLE = (Role.CURATOR, Role.COORDINATOR)
#: Edit the institution's registry data, members and API clients.
COORDINATES = (Role.COORDINATOR,)
#: Manage the institution's webhook subscriptions (a coordinator, or its partner system).
MANAGES_WEBHOOKS = (Role.COORDINATOR, Role.API_CLIENT)


def is_site_staff(user) -> bool:
    return bool(user and user.is_active and (user.is_superuser or user.is_staff))


def institution_ids(user, roles: Iterable[str] = INSTITUTION_PEOPLE) -> set[int]:
    """Ids of the institutions where ``user`` holds any of ``roles`` today (cached per user
    object)."""
    if not (user and user.is_authenticated and user.is_active):
        return set()
    cache = user.__dict__.setdefault("_elvis_role_cache", {})
    key = tuple(sorted(roles))
    if key not in cache:
        cache[key] = set(CURRENT_INSTITUTIONS.rows(user.pk, timezone.localdate(), roles=key))
    return cache[key]


#: The institutions of a user's memberships in force on a day with one of ``roles``: asked on
#: every request that lists or shows requests, compiled once per set of roles.
CURRENT_INSTITUTIONS = CompiledQuery(
    lambda user_id, day, *, roles: (
        Membership.objects.current(day)
        .filter(user_id=user_id, role__in=roles)
        # A set: no ORDER BY, which by the model's ordering joined users and institutions.
        .order_by()
        .values_list("institution_id", flat=True)
    )
)


def people_of(institution_id: int, roles: Iterable[str] = INSTITUTION_PEOPLE) -> QuerySet:
    """Active users holding one of ``roles`` at the institution today (e.g. to notify them)."""
    members = Membership.objects.current().filter(institution_id=institution_id, role__in=roles)
    return get_user_model().objects.filter(is_active=True, memberships__in=members).distinct()


def handled_institution_ids(user) -> set[int]:
    """Institutions whose requests ``user`` handles."""
    return institution_ids(user, HANDLES_REQUESTS)


def coordinated_institution_ids(user) -> set[int]:
    return institution_ids(user, COORDINATES)


def managed_webhook_institution_ids(user) -> set[int]:
    return institution_ids(user, MANAGES_WEBHOOKS)
