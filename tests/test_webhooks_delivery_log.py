"""``GET /api/v1/webhooks/<id>/deliveries/``: the subscription's log, newest first, filtered by
status and event, paged like every list."""

from __future__ import annotations

import pytest

from webhooks import services

from . import webhooks_support as support

pytestmark = pytest.mark.django_db

HOOK = "http://127.0.0.1:8765/hook"


@pytest.fixture
def partner(institution_a):
    return support.partner_of(institution_a)


@pytest.fixture
def subscription(partner, institution_a):
    return support.subscription_for(partner, institution_a, HOOK)


@pytest.fixture
def log(subscription):
    """Three deliveries recorded (not sent: no commit in these tests): approved, failed, ping."""
    rows = [
        services.record(subscription, event, resource_type="loan", resource_id=1, data={"n": n})
        for n, event in enumerate(["loan.submitted", "loan.approved", "loan.approved"])
    ]
    rows[1].status = "failed"
    rows[1].save()
    return rows


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def url(subscription) -> str:
    return f"/api/v1/webhooks/{subscription.pk}/deliveries/"


def test_the_log_lists_this_subscriptions_deliveries_newest_first(
    log, subscription, partner, institution_a, api_as
):
    other = support.subscription_for(partner, institution_a, HOOK)
    services.record(other, "loan.closed", resource_type="loan", resource_id=1, data={})

    assert ids(api_as(partner).get(url(subscription))) == [d.pk for d in reversed(log)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, [1]),
        ({"status": ["pending", "failed"]}, [2, 1, 0]),
        ({"event": "loan.approved"}, [2, 1]),
        ({"event": "loan.approved", "status": "pending"}, [2]),
        ({"event": "webhook.ping"}, []),
        ({"ordering": "created_at"}, [0, 1, 2]),
    ],
)
def test_the_log_filters_by_status_and_event(log, subscription, partner, api_as, query, expected):
    response = api_as(partner).get(url(subscription), query)

    assert ids(response) == [log[i].pk for i in expected]


def test_the_log_is_paged(log, subscription, partner, api_as):
    first = api_as(partner).get(url(subscription), {"page_size": 2}).json()

    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["next"] is not None
    second = api_as(partner).get(first["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"]] == [d.pk for d in reversed(log)]


def test_one_delivery_shows_its_envelope_and_attempts(log, subscription, partner, api_as):
    response = api_as(partner).get(f"{url(subscription)}{log[0].pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["payload"]["data"] == {"n": 0}
    assert body["payload"]["event"] == "loan.submitted"
    assert body["attempt_log"] == [] and body["attempts"] == 0
