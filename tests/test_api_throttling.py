"""Rate limits: per anonymous address, per API token, per signed-in user, from the settings;
a refusal is a 429 with a JSON ``detail`` and a ``Retry-After`` header."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.tokens import issue
from elvis.api.throttling import AnonymousThrottle, RateThrottle

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


def test_a_client_is_counted_by_one_number_per_window_not_a_list_of_its_requests(
    monkeypatch, api, rates
):
    """What each request reads and writes stays one number however many came before it (DRF
    kept every request's time in a list read and written whole)."""
    rates(anon=1000, user=100, token=100)
    monkeypatch.setattr(RateThrottle, "timer", lambda self: 6_000_010.0)  # 10 s into a minute

    statuses(api, 30)

    assert cache.get("throttle_anon_127.0.0.1:100000") == 30  # the 100,000th minute
    assert cache.get("throttle_anon_127.0.0.1") is None


def test_retry_after_is_the_seconds_left_in_the_window(monkeypatch, api, rates):
    rates(anon=1, user=100, token=100)
    monkeypatch.setattr(RateThrottle, "timer", lambda self: 6_000_015.0)  # 15 s into a minute

    assert statuses(api, 1) == [200]
    assert api.get(URL)["Retry-After"] == "45"


def test_requests_counted_at_once_are_counted_each(rates):
    """Eight threads throttled at once let exactly the rate through: no count is lost to
    another's write (the counter is raised in the cache, not read and written back)."""
    rates(anon=100, user=100, token=100)
    request = SimpleNamespace(user=None, auth=None, META={"REMOTE_ADDR": "198.51.100.9"})

    def allowed(_: int) -> bool:
        return AnonymousThrottle().allow_request(request, None)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(allowed, range(160)))

    assert answers.count(True) == 100
