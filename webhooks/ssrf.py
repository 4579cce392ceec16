"""Refusing webhook URLs that would make the server call into its own network (SSRF).

A URL is checked when it is subscribed (a 400 on ``url``) and again before every delivery,
since DNS may have changed in between. The check:

- allows only ports 443 and 80, and those the site lists in ``settings.WEBHOOK_ALLOWED_PORTS``
  (a partner's receiver on 8443, say), so a webhook cannot probe or talk to other services;
- resolves the host and refuses it if *any* address is not public: every block of the IANA
  IPv4 and IPv6 special-purpose address registries is named below (``SPECIAL_PURPOSE``),
  because Python's ``is_global`` misses some of them (``192.0.0.8``, ``192.31.196.0/24``,
  ``64:ff9b:1::/48``, 6to4 ``2002::/16``…), and whatever ``is_global`` calls non-global is
  refused too — IPv4 and IPv6 alike, including IPv4 addresses embedded in IPv6 ones
  (``::ffff:127.0.0.1``, 6to4, Teredo, NAT64).

A refusal never says what a host name resolves to: "partner.example is not a public address"
tells a partner what is wrong without letting anyone map the site's internal DNS through the
API's answers or the delivery log (the address goes to the server's log only). A URL that
names an address itself is answered with the kind of address, which it already shows.

Delivery then connects to the addresses this check returned, not to a second lookup, so a DNS
answer that changes between check and connection (rebinding) cannot redirect the POST; the URL's
host still goes out as the ``Host`` header and as the TLS server name, and the certificate is
verified against it. ``settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lifts the address check (a
site whose partners sit on its own network, and the tests), never the port check;
``settings.WEBHOOK_ALLOW_HTTP`` allows plain http (development only: bodies and signatures
would travel unencrypted).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

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

#: The IANA IPv4 and IPv6 special-purpose address registries, block by block, and multicast:
#: none is a partner's public receiver. Listed rather than left to ``is_global``, which lets
#: some through (e.g. 192.0.0.8, 192.31.196.0/24, 64:ff9b:1::/48, 2002::/16).
SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(block)
    for block in (
        # IPv4
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (cloud metadata services)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments (192.0.0.8, 192.0.0.9, 192.0.0.170…)
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112-v4
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # direct delegation AS112 service
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved
        "255.255.255.255/32",  # limited broadcast
        # IPv6
        "::1/128",  # loopback
        "::/128",  # unspecified
        "::ffff:0:0/96",  # IPv4-mapped
        "64:ff9b::/96",  # IPv4/IPv6 translation (NAT64)
        "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo, benchmarking, ORCHID…)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
    )
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


def allowed_ports() -> list[int]:
    """443 and 80, then the site's own list (``WEBHOOK_ALLOWED_PORTS``)."""
    extra = getattr(settings, "WEBHOOK_ALLOWED_PORTS", ())
    return list(dict.fromkeys([443, 80, *(int(port) for port in extra)]))


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
    if port not in allowed_ports():
        raise RefusedURL(
            _("Port %(port)s is not allowed: webhooks are delivered to ports %(ports)s.")
            % {"port": port, "ports": ", ".join(str(p) for p in allowed_ports())}
        )
    literal = _literal_address(host)
    addresses = (str(literal),) if literal else _lookup(host, port)
    if not getattr(settings, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False):
        for address in addresses:
            kind = refusal(ipaddress.ip_address(address))
            if not kind:
                continue
            if literal:
                raise RefusedURL(
                    _("%(address)s is a %(kind)s address: only public addresses are allowed.")
                    % {"address": host, "kind": kind}
                )
            # The address is for the server's log only: the answer must not map internal DNS.
            logger.warning("Webhook host %s refused: it resolves to %s (%s)", host, address, kind)
            raise RefusedURL(
                _("%(host)s is not a public address: only public addresses are allowed.")
                % {"host": host}
            )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


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
        if not candidate.is_global or any(candidate in block for block in SPECIAL_PURPOSE):
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
