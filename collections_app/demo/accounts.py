"""One demo account per role, all with the same published password.

Re-running ``seed_demo`` resets their passwords and roles to these values, so the printed
logins always work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.tokens import issue

from ..models import Institution, Membership

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Role = Membership.Role

# Public on purpose: seed_demo prints it with every run.
DEMO_PASSWORD = "elvis-demo-2026"
# Only a hash of a token is stored, so each run replaces the partner's demo token with a new one.
DEMO_TOKEN_NAME = "seed_demo"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role_label: StrOrPromise
    institution_code: str = ""
    role: str = ""  # a Membership.Role; empty for researchers and the site admin
    superuser: bool = False
    home_institution_name: str = ""
    orcid: str = ""


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "researcher@demo.example.org",
        "Rosa Fieldwork",
        _("researcher"),
        home_institution_name="University of Oxford",
        orcid="0000-0002-1825-0097",
    ),
    DemoAccount(
        "curator.nhm@demo.example.org", "Charles Pinner", Role.CURATOR.label, "NHM", Role.CURATOR
    ),
    DemoAccount(
        "coordinator.nhm@demo.example.org",
        "Nadia Okafor",
        Role.COORDINATOR.label,
        "NHM",
        Role.COORDINATOR,
    ),
    DemoAccount(
        "curator.mfn@demo.example.org", "Karl Sammler", Role.CURATOR.label, "MfN", Role.CURATOR
    ),
    DemoAccount(
        "api.nhm@demo.example.org",
        "NHM collections system",
        Role.API_CLIENT.label,
        "NHM",
        Role.API_CLIENT,
    ),
    DemoAccount("admin@demo.example.org", "Site Admin", _("site admin"), superuser=True),
)


def ensure_account(account: DemoAccount, institutions: dict[str, Institution]) -> str:
    """Create or reset the account and its membership; a new API token of a partner system."""
    user, _created = get_user_model().objects.get_or_create(email=account.email)
    institution = institutions.get(account.institution_code)
    user.full_name = account.full_name
    user.home_institution = institution
    user.home_institution_name = account.home_institution_name
    user.orcid = account.orcid
    user.is_active = True
    user.is_staff = user.is_superuser = account.superuser
    user.set_password(DEMO_PASSWORD)
    user.save()
    if institution is not None:
        Membership.objects.get_or_create(user=user, institution=institution, role=account.role)
    if account.role == Role.CURATOR and institution is not None:  # a curator has one
        user.curated_collections.add(*institution.collections.all())
    if account.role == Role.API_CLIENT:
        user.api_tokens.filter(name=DEMO_TOKEN_NAME).delete()
        return issue(user, DEMO_TOKEN_NAME)[1]
    return ""
