"""``digitisation.item_processed`` reaches partners' webhooks once per item processed, with
the request as they see it; people get no e-mail for every step."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from virtual_access.models import Capture, CaptureStatus
from virtual_access.pipeline import settle_item
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db


def test_each_processed_item_is_one_webhook_delivery_and_no_notification(
    dig_request, curator_a, institution_a, coordinator_a
):
    support.subscription_for(
        coordinator_a, institution_a, "https://partner.example/hooks",
        events=["digitisation.item_processed"],
    )  # fmt: skip
    request = dig_request()
    first, second = request.items.all()
    for item in (first, second):
        Capture.objects.create(
            item=item, file="captures/x.jpg", original_name="x.jpg", size=1,
            uploaded_by=curator_a, status=CaptureStatus.PROCESSED,
        )  # fmt: skip

    settle_item(first.pk)
    settle_item(first.pk)  # settling again changes nothing

    [delivery] = Delivery.objects.filter(event="digitisation.item_processed")
    statuses = {item["id"]: item["status"] for item in delivery.payload["data"]["items"]}
    assert statuses == {first.pk: "processed", second.pk: "pending"}
    assert not Notification.objects.filter(event="digitisation.item_processed").exists()
