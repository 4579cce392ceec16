"""Which account a login attempt is for, as django-axes counts failures.

Django's own login forms (the admin's included) send ``username``; our forms and the API send
``email``. Both name the same account, in any letter case, so lock-outs apply to all of them.
"""

from __future__ import annotations

from typing import Any


def login_identifier(request: Any, credentials: dict[str, Any] | None) -> str | None:
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if value is None and request is not None:
        data = getattr(request, "POST", None) or {}
        value = data.get("email") or data.get("username")
    return value.strip().lower() if isinstance(value, str) else None
