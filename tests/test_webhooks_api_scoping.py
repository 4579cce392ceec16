"""Who manages which subscriptions: an institution's coordinators and API clients, their own
institution's only; everyone else gets 403 on create and 404 on others' subscriptions."""

from __future__ import annotations

import pytest

from webhooks.models import Delivery, Subscription

from . import webhooks_support as support

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
HOOK = "http://127.0.0.1:8765/hook"


@pytest.fixture(autouse=True)
def local_urls(settings):
    support.allow_local_receivers(settings)


@pytest.fixture
def users(institution_a, institution_b, coordinator_a, curator_a, coordinator_b, researcher):
    return {
        "partner_a": support.partner_of(institution_a),
        "coordinator_a": coordinator_a,
        "curator_a": curator_a,
        "coordinator_b": coordinator_b,
        "partner_b": support.partner_of(institution_b),
        "researcher": researcher,
    }


@pytest.fixture
def subscription(users, institution_a) -> Subscription:
    return support.subscription_for(users["partner_a"], institution_a, HOOK)


MANAGERS_OF_A = ["partner_a", "coordinator_a"]
OTHERS = ["curator_a", "coordinator_b", "partner_b", "researcher"]


@pytest.mark.parametrize(
    ("role", "code"),
    [("partner_a", 201), ("coordinator_a", 201), ("curator_a", 403), ("researcher", 403)],
)
def test_only_coordinators_and_api_clients_subscribe(users, api_as, role, code):
    response = api_as(users[role]).post(URL, {"url": HOOK, "events": ["*"]}, format="json")

    assert response.status_code == code, response.json()


def test_anonymous_callers_are_told_to_authenticate(api, subscription):
    assert api.get(URL).status_code == 401
    assert api.post(URL, {"url": HOOK, "events": ["*"]}, format="json").status_code == 401


def test_a_manager_cannot_subscribe_for_an_institution_they_do_not_manage(
    users, api_as, institution_b
):
    response = api_as(users["partner_a"]).post(
        URL, {"url": HOOK, "events": ["*"], "institution": institution_b.pk}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"institution"}


@pytest.mark.parametrize(
    ("role", "listed"), [(r, True) for r in MANAGERS_OF_A] + [(r, False) for r in OTHERS]
)
def test_the_list_holds_the_subscriptions_of_the_callers_institutions(
    users, subscription, api_as, role, listed
):
    ids = [row["id"] for row in api_as(users[role]).get(URL).json()["results"]]

    assert ids == ([subscription.pk] if listed else [])


def test_site_staff_see_every_subscription(subscription, site_staff, api_as):
    assert [row["id"] for row in api_as(site_staff).get(URL).json()["results"]] == [subscription.pk]


# Every operation on one subscription, with the status code its managers get.
OPERATIONS = [
    ("get", "", None, 200),
    ("patch", "", {"description": "Nightly sync"}, 200),
    ("put", "", {"url": HOOK, "events": ["loan.approved"]}, 200),
    ("get", "deliveries/", None, 200),
    ("post", "ping/", None, 202),
    ("post", "rotate-secret/", {}, 200),
    ("delete", "", None, 204),
]


@pytest.mark.parametrize(("method", "suffix", "body", "code"), OPERATIONS)
@pytest.mark.parametrize("role", MANAGERS_OF_A)
def test_managers_of_the_institution_operate_on_its_subscription(
    users, subscription, api_as, role, method, suffix, body, code
):
    client = api_as(users[role])

    response = getattr(client, method)(f"{URL}{subscription.pk}/{suffix}", body, format="json")

    assert response.status_code == code


@pytest.mark.parametrize(("method", "suffix", "body", "code"), OPERATIONS)
@pytest.mark.parametrize("role", OTHERS)
def test_everyone_else_gets_404_as_if_it_did_not_exist(
    users, subscription, api_as, role, method, suffix, body, code
):
    client = api_as(users[role])

    response = getattr(client, method)(f"{URL}{subscription.pk}/{suffix}", body, format="json")

    assert response.status_code == 404
    assert Subscription.objects.filter(pk=subscription.pk, description="").exists()
    assert not Delivery.objects.exists()


def test_an_unknown_id_is_a_404_not_a_500(users, api_as):
    client = api_as(users["partner_a"])

    assert client.get(f"{URL}999999/").status_code == 404
    assert client.get(f"{URL}abc/").status_code == 404
    assert client.get(f"{URL}999999/deliveries/1/").status_code == 404
