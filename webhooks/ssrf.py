"""Refusing webhook URLs that would make the server call into its own network (SSRF).

A URL is checked when it is subscribed (a 400 on ``url``) and again before every delivery,
since DNS may have changed in between. The check resolves the host and refuses it if *any*
address is loopback, private, link-local (e.g. the cloud metadata service 169.254.169.254),
multicast, reserved, unspecified or otherwise not public — IPv4 and IPv6 alike, including
IPv4 addresses embedded in IPv6 ones (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64).

Delivery then connects to the addresses this check returned, not to a second lookup, so a DNS
answer that changes between check and connection (rebinding) cannot redirect the POST; the URL's
host still goes out as the ``Host`` header and as the TLS server name, and the certificate is
verified against it. ``settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lifts the address check (a
site whose partners sit on its own network, and the tests); ``settings.WEBHOOK_ALLOW_HTTP``
allows plain http (development only: bodies and signatures would travel unencrypted).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

# Checked in this order, so that 127.0.0.1 is called loopback rather than private.
FORBIDDEN = (
    ("is_loopback", gettext_lazy("loopback")),
    ("is_unspecified", gettext_lazy("unspecified")),
    ("is_link_local", gettext_lazy("link-local")),
    ("is_multicast", gettext_lazy("multicast")),
    ("is_private", gettext_lazy("private")),
    ("is_reserved", gettext_lazy("reserved")),
)


class RefusedURL(Exception):
    """The URL may not be called. ``permanent`` is False when retrying may help (DNS failed)."""

    def __init__(self, message: str, *, permanent: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class Target:
    """Where to POST: the checked addresses to connect to, and the names to present."""

    scheme: str
    host: str  # ASCII (IDNA) form, without IPv6 brackets
    port: int
    path: str  # path and query, as sent on the request line
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def allowed_schemes() -> tuple[str, ...]:
    return ("http", "https") if getattr(settings, "WEBHOOK_ALLOW_HTTP", False) else ("https",)


def resolve(url: str) -> Target:
    """Check ``url`` and resolve its host; raises ``RefusedURL`` saying why not."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in allowed_schemes():
        raise RefusedURL(
            _("Use an https:// URL.")
            if allowed_schemes() == ("https",)
            else _("Use an http:// or https:// URL.")
        )
    if parts.username is not None or parts.password is not None:
        raise RefusedURL(_("Put no credentials in the URL: receivers verify the signature."))
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port or DEFAULT_PORTS[scheme]
    except (UnicodeError, ValueError):
        raise RefusedURL(_("The host name or port is not valid.")) from None
    if not host:
        raise RefusedURL(_("The URL has no host."))
    addresses = _lookup(host, port)
    if not getattr(settings, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False):
        for address in addresses:
            kind = refusal(ipaddress.ip_address(address))
            if kind:
                raise RefusedURL(
                    _("%(host)s resolves to %(address)s, a %(kind)s address: only public "
                      "addresses are allowed.") % {"host": host, "address": address, "kind": kind}
                )  # fmt: skip
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def _lookup(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise RefusedURL(
            _("%(host)s cannot be resolved (%(error)s).") % {"host": host, "error": exc},
            permanent=False,
        ) from None
    # Scope ids (fe80::1%eth0) are dropped for the check; such addresses are link-local anyway.
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise RefusedURL(_("%(host)s has no address.") % {"host": host}, permanent=False)
    return addresses


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` (or an IPv4 address embedded in it) is not public, or None."""
    for candidate in _embedded(address):
        for attribute, kind in FORBIDDEN:
            if getattr(candidate, attribute):
                return str(kind)
        if not candidate.is_global:
            return str(gettext_lazy("non-public"))
    return None


def _embedded(address: IPAddress) -> Iterator[IPAddress]:
    """IPv4 addresses carried inside an IPv6 one first (they name the real destination),
    then the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            yield address.ipv4_mapped
        if address.sixtofour:
            yield address.sixtofour
        if address.teredo:
            yield from address.teredo
        if address in NAT64:
            yield ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    yield address


def validate_webhook_url(value: str) -> None:
    """Field validator (model, admin and API): the URL must pass ``resolve``."""
    try:
        resolve(value)
    except RefusedURL as exc:
        raise ValidationError(exc.message, code="refused_url") from None
