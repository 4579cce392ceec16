"""Subscriptions are validated field by field (400 naming the field), and the secret is shown
in the answers that create or rotate it, never again."""

from __future__ import annotations

import pytest

from collections_app.models import Membership
from webhooks.models import Subscription

from . import webhooks_support as support

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
HOOK = "http://127.0.0.1:8765/hook"


@pytest.fixture(autouse=True)
def local_urls(settings):
    support.allow_local_receivers(settings)


@pytest.fixture
def partner(institution_a):
    return support.partner_of(institution_a)


@pytest.fixture
def client(partner, api_as):
    return api_as(partner)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": HOOK, "events": ["loan.teleported"]}, "events"),
        ({"url": HOOK, "events": ["visit.teleported"]}, "events"),
        ({"url": HOOK, "events": ["webhook.ping"]}, "events"),
        ({"url": HOOK, "events": []}, "events"),
        ({"url": HOOK, "events": "loan.approved"}, "events"),
        ({"url": HOOK, "events": [None]}, "events"),
        ({"url": HOOK}, "events"),
        ({"events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": HOOK, "events": ["*"], "institution": "INSTA"}, "institution"),
        ({"url": HOOK, "events": ["*"], "institution": 999999}, "institution"),
        ({"url": HOOK, "events": ["*"], "is_active": "maybe"}, "is_active"),
        ({"url": HOOK, "events": ["*"], "description": "x" * 201}, "description"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, body, field):
    response = client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Subscription.objects.exists()


def test_the_secret_is_in_the_creation_answer_only(client, partner, institution_a):
    created = client.post(URL, {"url": HOOK, "events": ["loan.approved"]}, format="json")

    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) >= 6 + 43
    assert body["secret"] == Subscription.objects.get().secret
    assert body["institution"]["code"] == institution_a.code
    assert body["created_by"]["id"] == partner.pk
    for response in (
        client.get(f"{URL}{body['id']}/"),
        client.patch(f"{URL}{body['id']}/", {"is_active": False}, format="json"),
    ):
        assert response.status_code == 200
        assert "secret" not in response.json()
    assert "secret" not in client.get(URL).json()["results"][0]


def test_every_subscription_gets_its_own_secret(client):
    secrets = {
        client.post(URL, {"url": HOOK, "events": ["*"]}, format="json").json()["secret"]
        for _ in range(3)
    }

    assert len(secrets) == 3


def test_all_events_stand_alone_and_duplicates_are_dropped(client):
    everything = client.post(URL, {"url": HOOK, "events": ["loan.approved", "*"]}, format="json")
    twice = client.post(
        URL, {"url": HOOK, "events": ["loan.approved", "loan.approved"]}, format="json"
    )

    assert everything.json()["events"] == ["*"]
    assert twice.json()["events"] == ["loan.approved"]


def test_a_manager_of_several_institutions_says_which(partner, institution_b, client):
    Membership.objects.create(user=partner, institution=institution_b, role="api_client")

    missing = client.post(URL, {"url": HOOK, "events": ["*"]}, format="json")
    chosen = client.post(
        URL, {"url": HOOK, "events": ["*"], "institution": institution_b.pk}, format="json"
    )

    assert missing.status_code == 400 and "institution" in missing.json()
    assert chosen.status_code == 201 and chosen.json()["institution"]["id"] == institution_b.pk


def test_a_subscription_cannot_move_to_another_institution(
    partner, institution_a, institution_b, client
):
    Membership.objects.create(user=partner, institution=institution_b, role="api_client")
    subscription = support.subscription_for(partner, institution_a, HOOK)

    response = client.patch(
        f"{URL}{subscription.pk}/", {"institution": institution_b.pk}, format="json"
    )

    assert response.status_code == 400 and "institution" in response.json()


@pytest.mark.parametrize("seconds", [-1, 86401, "soon"])
def test_a_rotation_keeps_the_old_secret_for_at_most_a_day(client, partner, institution_a, seconds):
    subscription = support.subscription_for(partner, institution_a, HOOK)

    response = client.post(
        f"{URL}{subscription.pk}/rotate-secret/", {"keep_previous_for": seconds}, format="json"
    )

    assert response.status_code == 400 and "keep_previous_for" in response.json()
    assert Subscription.objects.get().secret == subscription.secret


@pytest.mark.parametrize(
    "query", ["status=lost", "event=loan.teleported", "updated_after=yesterday", "page=0"]
)
def test_bad_delivery_log_filters_are_a_400(client, partner, institution_a, query):
    subscription = support.subscription_for(partner, institution_a, HOOK)

    response = client.get(f"{URL}{subscription.pk}/deliveries/?{query}")

    assert response.status_code == 400
