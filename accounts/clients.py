"""API clients: password-less accounts through which partner systems act for an institution.

One definition for the admin's *API clients* pages and the ``issue_api_token`` command, so both
agree on which accounts may get tokens and how such an account is made.
"""

from __future__ import annotations

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.db.models import QuerySet

from collections_app.models import Institution, Membership

from .models import ApiClient


def api_clients() -> QuerySet[ApiClient]:
    """Accounts that may hold partner tokens: an ``api_client`` membership and no password.

    A person never qualifies (no staff, no superuser, no usable password): a coordinator who
    gave a person an ``api_client`` membership must not be able to mint tokens acting as them.
    """
    # The proxy's manager (declared on User) gives ApiClient rows; the stubs say User.
    return ApiClient.objects.filter(  # type: ignore[return-value]
        memberships__role=Membership.Role.API_CLIENT,
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
        is_staff=False,
        is_superuser=False,
    )


@transaction.atomic
def make_api_client(account: ApiClient, institution: Institution) -> ApiClient:
    """Save ``account`` (unsaved) as a password-less API client acting for ``institution``."""
    account.set_unusable_password()
    account.home_institution = institution
    account.save()
    Membership.objects.create(
        user=account, institution=institution, role=Membership.Role.API_CLIENT
    )
    return account
