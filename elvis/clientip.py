"""The client's address, resolved in one place for the API throttles, the login lock-out
(django-axes' ``AXES_CLIENT_IP_CALLABLE``) and the logs.

Behind ``PROXY_COUNT`` trusted reverse proxies (environment ``AXES_PROXY_COUNT``) the client is
the address the outermost of them received the request from: the ``PROXY_COUNT``-th entry of
``X-Forwarded-For`` counted from the right, since each proxy appends the address it got the
request from and everything to the left of what our own proxies wrote is the client's to forge.
Without proxies it is ``REMOTE_ADDR`` and the header is ignored.

Why not django-ipware (what axes would use if it were installed): it ranks some thirty headers
(``X-Real-IP``, ``CF-Connecting-IP`` …) that a client writes as easily as any other unless every
proxy in front strips them, and picks the left-most forwarded address by default, which is the
one the client chose. Counting known hops from the right is the only reading a client cannot
steer, and it is a few lines.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent ``request`` (see the module docstring).

    A forwarded entry that is no IP address (a misconfigured proxy writing ``unknown`` or a
    port) falls back to ``REMOTE_ADDR``: axes stores the address in an IP column, and a value
    the database refuses would turn a login into a 500.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies: int = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote_addr
    addresses = [address.strip() for address in forwarded.split(",")]
    candidate = addresses[-min(proxies, len(addresses))]
    return candidate if _is_address(candidate) else remote_addr
