"""Webhook URLs that point into the site's own network are refused, at subscription and again
at delivery, unless the site allows private addresses."""

from __future__ import annotations

import socket

import pytest

from elvis.workflow.service import perform
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver

dns = support.dns
public_only = support.public_only
subscribe = support.subscribe
PUBLIC = support.PUBLIC


NOT_PUBLIC = "is not a public address"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.1.2.3/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://100.64.0.1/hook", "non-public"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://[::ffff:a00:1]/hook", "private"),
        ("https://[64:ff9b::a9fe:a9fe]/hook", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[fc00::1]/hook", "private"),
        # Names: refused without saying what they resolve to.
        ("https://loopback.example/hook", NOT_PUBLIC),
        ("https://v6-loopback.example/hook", NOT_PUBLIC),
        ("https://metadata.example/hook", NOT_PUBLIC),
        ("https://mixed.example/hook", NOT_PUBLIC),
        ("http://partner.example/hook", "Use an https:// URL"),
        ("ftp://partner.example/hook", "Use an https:// URL"),
        ("file:///etc/passwd", "Use an https:// URL"),
        ("gopher://partner.example/", "Use an https:// URL"),
        ("https://user:secret@partner.example/hook", "no credentials"),
        ("https://unknown.example/hook", "cannot be resolved"),
    ],
)
def test_subscribing_an_unsafe_url_is_a_400_on_url_saying_why(
    dns, public_only, api_as, institution_a, url, reason
):
    response = subscribe(api_as, institution_a, url)

    assert response.status_code == 400, response.json()
    assert set(response.json()) == {"url"}
    assert any(reason in message for message in response.json()["url"]), response.json()


def test_a_public_https_url_is_accepted(dns, public_only, api_as, institution_a):
    response = subscribe(api_as, institution_a, "https://partner.example/hook")

    assert response.status_code == 201, response.json()


def test_a_url_changed_to_an_unsafe_one_is_refused_too(dns, public_only, api_as, institution_a):
    partner = support.partner_of(institution_a)
    created = api_as(partner).post(
        "/api/v1/webhooks/",
        {"url": "https://partner.example/hook", "events": ["*"]},
        format="json",
    )

    response = api_as(partner).patch(
        f"/api/v1/webhooks/{created.json()['id']}/",
        {"url": "https://metadata.example/"},
        format="json",
    )

    assert response.status_code == 400 and NOT_PUBLIC in response.json()["url"][0]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
        ("https://10.0.0.7/hook", "10.0.0.7 is a private address"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("https://[::1]/hook", "::1 is a loopback address"),
        ("https://loopback.example/hook", "loopback.example is not a public address"),
        ("ftp://partner.example/hook", "Use an https:// URL"),
        ("http://partner.example/hook", "Use an https:// URL"),
    ],
)
def test_a_delivery_to_an_unsafe_url_fails_unsent_with_the_reason(
    dns, public_only, make_loan, curator_a, institution_a, url, reason
):
    # Written directly: as if the site had allowed it when it was subscribed.
    support.subscription_for(support.partner_of(institution_a), institution_a, url)

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert reason in delivery.last_error
    assert delivery.attempt_log.get().status_code is None


def test_a_local_receiver_is_refused_once_private_addresses_are_no_longer_allowed(
    receiver, settings, make_loan, curator_a, institution_a
):
    support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "127.0.0.1 is a loopback address" in delivery.last_error
    assert receiver.received == []


def test_a_host_rebound_to_a_private_address_after_subscribing_is_refused_at_delivery(
    dns, public_only, api_as, make_loan, curator_a, institution_a
):
    created = subscribe(api_as, institution_a, "https://partner.example/hook")
    assert created.status_code == 201
    dns["partner.example"] = ["127.0.0.1"]

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("partner.example is not a public address")
    assert "127.0.0.1" not in delivery.last_error


def test_delivery_connects_to_the_checked_address_and_names_the_host_in_the_request(
    dns, receiver, monkeypatch, make_loan, curator_a, institution_a
):
    port = receiver.url.split(":")[2].split("/")[0]
    dns["partner.example"] = ["127.0.0.1"]
    lookups = []
    resolve = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        lookups.append(host)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    support.subscription_for(
        support.partner_of(institution_a), institution_a, f"http://partner.example:{port}/in"
    )

    perform(make_loan(status="submitted"), "approve", actor=curator_a)

    [request] = receiver.received
    assert request.headers["Host"] == f"partner.example:{port}"
    assert request.path == "/in"
    assert lookups.count("partner.example") == 1  # checked once; the connection used that IP
    assert Delivery.objects.get().status == "delivered"
