"""Rate limits: per anonymous address, per API token, per signed-in user, from the settings;
a refusal is a 429 with a JSON ``detail`` and a ``Retry-After`` header."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tokens import issue
from elvis.api.throttling import RateThrottle

pytestmark = pytest.mark.django_db

URL = "/api/v1/institutions/"


@pytest.fixture
def rates(settings):
    """``rates(anon=..., user=..., token=...)``: these rates (per minute) and nothing else."""

    def _set(**per_minute: int) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                scope: f"{count}/minute" for scope, count in per_minute.items()
            },
        }

    cache.clear()
    yield _set
    cache.clear()


def statuses(client: APIClient, count: int, **extra: str) -> list[int]:
    return [client.get(URL, **extra).status_code for _ in range(count)]


def test_an_anonymous_address_is_refused_past_its_rate_with_retry_after(api, rates):
    rates(anon=2, user=100, token=100)

    answers = [api.get(URL) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"]


def test_another_address_has_its_own_allowance(rates):
    rates(anon=1, user=100, token=100)

    first = statuses(APIClient(REMOTE_ADDR="198.51.100.1"), 2)
    second = statuses(APIClient(REMOTE_ADDR="198.51.100.2"), 1)

    assert (first, second) == ([200, 429], [200])


def test_a_forged_forwarded_header_buys_no_fresh_allowance(api, rates):
    rates(anon=1, user=100, token=100)

    answers = [api.get(URL, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(1, 4)]

    assert answers == [200, 429, 429]


def test_behind_a_trusted_proxy_clients_are_told_apart_by_the_forwarded_address(settings, rates):
    rates(anon=1, user=100, token=100)
    settings.PROXY_COUNT = 1
    proxy = APIClient(REMOTE_ADDR="10.0.0.5")

    alice = [proxy.get(URL, HTTP_X_FORWARDED_FOR="forged, 198.51.100.7").status_code for _ in "ab"]
    bob = proxy.get(URL, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code

    assert (alice, bob) == ([200, 429], 200)


def test_each_token_has_its_own_allowance(rates, researcher):
    rates(anon=100, user=100, token=2)
    first = APIClient(HTTP_AUTHORIZATION=f"Token {issue(researcher, 'one')[1]}")
    second = APIClient(HTTP_AUTHORIZATION=f"Token {issue(researcher, 'two')[1]}")

    assert statuses(first, 3) == [200, 200, 429]
    assert statuses(second, 1) == [200]


def test_without_a_token_rate_tokens_get_the_user_rate(rates, researcher):
    rates(anon=100, user=2)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {issue(researcher, 'script')[1]}")

    assert statuses(client, 3) == [200, 200, 429]


def test_a_signed_in_user_is_counted_apart_from_anonymous_visitors_at_the_address(
    api, rates, researcher
):
    rates(anon=1, user=2, token=100)
    browser = APIClient()
    browser.force_login(researcher)

    assert statuses(api, 2) == [200, 429]
    assert statuses(browser, 3) == [200, 200, 429]


def test_retry_after_is_given_even_when_the_rate_was_lowered_below_the_count(api, rates):
    rates(anon=5, user=100, token=100)
    statuses(api, 3)
    rates(anon=2, user=100, token=100)

    refused = api.get(URL)

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_a_refused_client_is_let_in_again_once_retry_after_has_passed(monkeypatch, api, rates):
    rates(anon=1, user=100, token=100)
    statuses(api, 1)
    refused = api.get(URL)
    later = time.time() + int(refused["Retry-After"]) + 1
    monkeypatch.setattr(RateThrottle, "timer", lambda self: later)

    assert api.get(URL).status_code == 200
