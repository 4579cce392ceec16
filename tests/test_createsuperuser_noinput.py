"""``createsuperuser --noinput`` takes the account from the DJANGO_SUPERUSER_* variables the
README names (the login is the e-mail: there is no user name)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command


@pytest.mark.django_db
def test_createsuperuser_noinput_reads_email_password_and_full_name(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "admin@example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long passphrase 2026")
    monkeypatch.setenv("DJANGO_SUPERUSER_FULL_NAME", "Site admin")
    call_command("createsuperuser", interactive=False, verbosity=0)
    admin = get_user_model().objects.get(email="admin@example.org")
    assert admin.is_superuser and admin.is_staff
    assert admin.full_name == "Site admin"
    assert admin.check_password("a long passphrase 2026")
