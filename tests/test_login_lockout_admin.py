"""The admin's login form counts failures for the same account as the site and the API do."""

from __future__ import annotations

import pytest
from django.conf import settings

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_admin_login_locks_out_after_repeated_failures_even_with_the_right_password(
    client, superuser
):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = superuser.email.upper() if attempt % 2 else superuser.email
        response = client.post("/admin/login/", {"username": email, "password": "wrong"})
        assert response.status_code in (200, 429)
    response = client.post("/admin/login/", {"username": superuser.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_failure_in_the_admin_counts_towards_the_api_lockout(client, api, researcher):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": researcher.email, "password": "wrong"})
    response = api.post(
        "/api/v1/auth/token/", {"email": researcher.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
