"""Subscriptions and deliveries in the admin: scoped to the user's institutions (others' are
404), read-only logs, no secrets, and "Redeliver" for coordinators."""

from __future__ import annotations

import pytest
from django.urls import reverse

from webhooks import services
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db(transaction=True)
receiver = support.receiver


@pytest.fixture
def subscription(receiver, institution_a):
    return support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)


@pytest.fixture
def failed(subscription) -> Delivery:
    delivery = services.record(
        subscription, "loan.approved", resource_type="loan", resource_id=7, data={"id": 7}
    )
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=1)
    return Delivery.objects.get(pk=delivery.pk)


def admin_url(model: str, view: str, *args) -> str:
    return reverse(f"admin:webhooks_{model}_{view}", args=args)


@pytest.mark.parametrize("role", ["coordinator_a", "curator_a", "site_staff"])
def test_staff_of_the_institution_see_the_subscription_and_its_log_without_the_secret(
    client, request, subscription, failed, role
):
    client.force_login(request.getfixturevalue(role))

    listing = client.get(admin_url("subscription", "changelist"))
    page = client.get(admin_url("subscription", "change", subscription.pk))

    assert list(listing.context["cl"].result_list) == [subscription]
    assert page.status_code == 200
    content = page.content.decode()
    assert "loan.approved" in content  # the delivery log inline
    assert subscription.secret not in content
    assert client.get(admin_url("delivery", "change", failed.pk)).status_code == 200


def test_another_institutions_coordinator_gets_404_and_an_empty_list(
    client, coordinator_b, subscription, failed
):
    client.force_login(coordinator_b)

    assert client.get(admin_url("subscription", "change", subscription.pk)).status_code == 404
    assert client.get(admin_url("delivery", "change", failed.pk)).status_code == 404
    assert list(client.get(admin_url("delivery", "changelist")).context["cl"].result_list) == []


def test_subscriptions_are_not_added_in_the_admin_where_no_secret_could_be_shown(
    client, coordinator_a
):
    client.force_login(coordinator_a)

    assert client.get(admin_url("subscription", "add")).status_code == 403


def test_a_coordinator_pauses_a_subscription(client, coordinator_a, subscription):
    client.force_login(coordinator_a)

    response = client.post(
        admin_url("subscription", "change", subscription.pk),
        {
            "url": subscription.url,
            "description": "Paused for maintenance",
            "events": '["*"]',
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].errors
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.description == "Paused for maintenance"


def test_an_unknown_event_name_is_refused_in_the_admin_form(client, coordinator_a, subscription):
    client.force_login(coordinator_a)

    response = client.post(
        admin_url("subscription", "change", subscription.pk),
        {
            "url": subscription.url,
            "events": '["loan.teleported"]',
            "is_active": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "Unknown events: loan.teleported." in response.content.decode()


def test_a_coordinator_redelivers_a_failed_delivery(client, coordinator_a, failed, receiver):
    client.force_login(coordinator_a)

    response = client.post(
        admin_url("delivery", "changelist"),
        {"action": "redeliver", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.status == "delivered" and failed.attempts == 2
    assert len(receiver.received) == 1


def offered_actions(client) -> set[str]:
    form = client.get(admin_url("delivery", "changelist")).context["action_form"]
    return {name for name, _label in form.fields["action"].choices} if form else set()


def test_a_curator_may_look_but_not_redeliver(client, curator_a, coordinator_a, failed, receiver):
    client.force_login(coordinator_a)
    assert "redeliver" in offered_actions(client)
    client.force_login(curator_a)
    assert "redeliver" not in offered_actions(client)

    response = client.post(
        admin_url("delivery", "changelist"),
        {"action": "redeliver", "_selected_action": [failed.pk]},
    )

    assert response.status_code == 200  # not an action of theirs: the list is shown again
    failed.refresh_from_db()
    assert failed.status == "failed" and receiver.received == []
