"""Behind one trusted proxy, the login lock-out, the API throttles and the logs all see the real
client (the address the proxy appended to ``X-Forwarded-For``), never the proxy's address, and
a client that writes its own forwarded hop gains nothing."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.test import APIClient

from elvis.clientip import client_ip

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
ALICE = "198.51.100.7"
BOB = "198.51.100.8"
LOGIN = "/api/v1/auth/token/"
LIST = "/api/v1/institutions/"


@pytest.fixture(autouse=True)
def one_proxy_hop(settings):
    settings.PROXY_COUNT = 1
    cache.clear()
    yield
    cache.clear()


def through_proxy(forwarded: str) -> APIClient:
    """A client whose requests reach the app through the proxy, which appended ``forwarded``."""
    return APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def fail_logins(client: APIClient, email: str) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"email": email, "password": "guess"})


def test_the_lockout_counts_the_client_behind_the_proxy_not_the_proxy(researcher):
    fail_logins(through_proxy(ALICE), researcher.email)

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ALICE}
    locked = through_proxy(ALICE).post(LOGIN, {"email": researcher.email, "password": PASSWORD})
    other_client = through_proxy(BOB).post(LOGIN, {"email": researcher.email, "password": PASSWORD})
    assert (locked.status_code, other_client.status_code) == (429, 200)


def test_a_spoofed_extra_hop_does_not_lift_the_lockout(researcher):
    fail_logins(through_proxy(ALICE), researcher.email)

    spoofed = through_proxy(f"203.0.113.9, {ALICE}").post(
        LOGIN, {"email": researcher.email, "password": PASSWORD}
    )

    assert spoofed.status_code == 429


@pytest.fixture
def anonymous_rate_of_one(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "100/minute", "token": "100/minute"},
    }


def test_two_clients_behind_the_same_proxy_are_throttled_separately(anonymous_rate_of_one):
    alice = [through_proxy(ALICE).get(LIST).status_code for _ in range(2)]
    bob = through_proxy(BOB).get(LIST).status_code

    assert (alice, bob) == ([200, 429], 200)


def test_a_spoofed_extra_hop_buys_no_fresh_allowance(anonymous_rate_of_one):
    answers = [through_proxy(f"203.0.113.{n}, {ALICE}").get(LIST).status_code for n in range(3)]

    assert answers == [200, 429, 429]


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, ALICE, PROXY),  # no proxy configured: the header is the client's own words
        (1, None, PROXY),  # nothing forwarded: the peer is all there is
        (2, f"203.0.113.9, {ALICE}, 10.0.0.4", ALICE),  # two hops counted from the right
        (1, "unknown", PROXY),  # not an address: never stored as one
    ],
)
def test_the_resolver_counts_trusted_hops_from_the_right(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **extra)

    assert client_ip(request) == expected
