"""The actor of what the system itself does: a pipeline step that moves a request on (a
digitisation package built → ``delivered``) is performed, locked and audited like a person's
action, by this account.

It is an inactive account (no password, no login); ``AccessRequest.actor_roles`` gives it the
table role ``SYSTEM`` and nothing else, so only rows naming that role accept it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

SYSTEM_EMAIL = "system@elvis.invalid"


def system_actor():
    """The system's account, made on first use."""
    user, created = get_user_model().objects.get_or_create(
        email=SYSTEM_EMAIL, defaults={"full_name": "ELViS (automatic)", "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def is_system_actor(user) -> bool:
    return bool(user and user.pk and getattr(user, "email", None) == SYSTEM_EMAIL)
