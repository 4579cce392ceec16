"""Webhook URLs are refused for every IANA special-purpose address block — including those
Python's ``is_global`` lets through, such as 192.0.0.8 — and for any port but 443, 80 and the
site's ``WEBHOOK_ALLOWED_PORTS``; a refused host name is never answered with what it resolves
to."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest

from elvis.workflow.service import perform
from webhooks.models import Delivery
from webhooks.ssrf import SPECIAL_PURPOSE

from . import webhooks_support as support

pytestmark = pytest.mark.django_db
# Deliveries are enqueued when the transaction commits.
delivering = pytest.mark.django_db(transaction=True)
dns = support.dns
public_only = support.public_only
subscribe = support.subscribe
receiver = support.receiver


def inside(block: str) -> list[str]:
    network = ipaddress.ip_network(block)
    picks = {network[0], network[min(1, network.num_addresses - 1)], network[-1]}
    return sorted(str(address) for address in picks)


# One row per block of the registries (first, second and last address).
ADDRESSES = [
    address for network in SPECIAL_PURPOSE for address in inside(str(network.compressed))
] + ["192.0.0.8", "192.0.0.9", "192.0.0.170", "192.31.196.53", "192.175.48.6", "2002:a00:1::"]


def url_of(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}/hook"


def test_every_block_of_the_registries_is_listed():
    listed = {str(network) for network in SPECIAL_PURPOSE}
    for block in [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32", "224.0.0.0/4",
        "::1/128", "::/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
        "2001::/23", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
    ]:  # fmt: skip
        assert block in listed


@pytest.mark.parametrize("address", ADDRESSES)
def test_a_special_purpose_address_is_refused_at_subscription(
    dns, public_only, api_as, institution_a, address
):
    response = subscribe(api_as, institution_a, url_of(address))

    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["url"]


@pytest.mark.parametrize("address", ADDRESSES)
def test_a_name_resolving_to_one_is_refused_without_naming_the_address(
    dns, public_only, api_as, institution_a, address
):
    dns["internal.example"] = [address]

    response = subscribe(api_as, institution_a, "https://internal.example/hook")

    assert response.status_code == 400
    [message] = response.json()["url"]
    assert message == "internal.example is not a public address: only public addresses are allowed."
    assert address not in message


@delivering
def test_a_delivery_log_never_names_the_address_either(
    dns, public_only, make_loan, curator_a, institution_a
):
    dns["internal.example"] = ["192.0.0.8"]
    support.subscription_for(
        support.partner_of(institution_a), institution_a, "https://internal.example/hook"
    )

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert "192.0.0.8" not in delivery.last_error
    assert "192.0.0.8" not in delivery.attempt_log.get().error


@pytest.mark.parametrize("port", [8443, 8080, 22, 25, 5432, 6379, 1])
def test_a_port_other_than_443_or_80_is_refused(dns, public_only, api_as, institution_a, port):
    response = subscribe(api_as, institution_a, f"https://partner.example:{port}/hook")

    assert response.status_code == 400
    assert f"Port {port} is not allowed" in response.json()["url"][0]


@pytest.mark.parametrize("url", ["https://partner.example:443/hook", "https://partner.example/"])
def test_port_443_is_accepted(dns, public_only, api_as, institution_a, url):
    assert subscribe(api_as, institution_a, url).status_code == 201


def test_port_80_is_accepted_where_http_is(dns, public_only, settings, api_as, institution_a):
    settings.WEBHOOK_ALLOW_HTTP = True

    response = subscribe(api_as, institution_a, "http://partner.example:80/hook")

    assert response.status_code == 201


def test_a_port_the_site_lists_is_accepted(dns, public_only, settings, api_as, institution_a):
    settings.WEBHOOK_ALLOWED_PORTS = [8443]
    partner = api_as(support.partner_of(institution_a))

    for port, status in [(8443, 201), (8444, 400)]:
        response = partner.post(
            "/api/v1/webhooks/",
            {"url": f"https://partner.example:{port}/", "events": ["*"]},
            format="json",
        )

        assert response.status_code == status


def test_allowing_private_addresses_still_checks_the_port(settings, api_as, institution_a):
    support.allow_local_receivers(settings)
    settings.WEBHOOK_ALLOWED_PORTS = []

    response = subscribe(api_as, institution_a, "http://127.0.0.1:6379/")

    assert response.status_code == 400
    assert "Port 6379 is not allowed" in response.json()["url"][0]


@delivering
def test_a_delivery_to_a_port_no_longer_allowed_fails_unsent(
    receiver, settings, make_loan, curator_a, institution_a
):
    support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)
    settings.WEBHOOK_ALLOWED_PORTS = []

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and f"Port {receiver.port}" in delivery.last_error
    assert receiver.received == []


def test_the_allowed_ports_are_read_from_the_environment(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; print(s.WEBHOOK_ALLOWED_PORTS)",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "elvis.settings_test",
            "ELVIS_DATA_DIR": str(tmp_path),
            "WEBHOOK_ALLOWED_PORTS": "8443, 9443",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == "[8443, 9443]", result.stderr
