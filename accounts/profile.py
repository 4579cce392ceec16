"""What a researcher's profile can fill in for them on a new request's form.

A request kind names, per form field, which of these values fills it (``RequestKind.prefill``,
e.g. a loan's ``shipping_address`` from ``"address"``): the kinds say where their fields come
from, the profile says what it knows. A page convenience only: the API takes what it is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .models import Address, User


def default_address(user: User) -> Address | None:
    return user.addresses.filter(is_default=True).first()


def _address(user: User) -> str:
    address = default_address(user)
    return address.as_text() if address else ""


#: The profile's values by name.
PROFILE_VALUES: dict[str, Callable[[User], str]] = {
    "full_name": lambda user: user.full_name,
    "orcid": lambda user: user.orcid,
    "institution": lambda user: user.home_institution_display,
    "address": _address,
}


def profile_values(user: User, fields: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``{form field: value}`` for ``(form field, profile value name)`` pairs, leaving out the
    values the profile does not hold (so the form's own defaults stay)."""
    values = {field: PROFILE_VALUES[name](user) for field, name in fields}
    return {field: value for field, value in values.items() if value}


def address_text(user: User, address_id: object) -> str | None:
    """One of ``user``'s own addresses as text, by id (any other id: None)."""
    if not str(address_id).isdigit():
        return None
    address = user.addresses.filter(pk=int(str(address_id))).first()
    return address.as_text() if address else None
