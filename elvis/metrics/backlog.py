"""The outbox backlog, queried when Prometheus scrapes: what is still waiting to go out.

Waiting means written but neither sent nor given up on: a notification whose e-mail is
``pending`` or ``sending``, a webhook delivery ``pending`` (due, or waiting for its next retry)
or ``sending``. A backlog that grows, or an oldest row that ages, is a broker, worker or
receiver that is not keeping up; the sweepers re-offer rows, but someone must look.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from notifications.models import Notification
from webhooks.models import Delivery

WAITING_EMAILS = (Notification.EmailStatus.PENDING, Notification.EmailStatus.SENDING)
WAITING_DELIVERIES = (Delivery.Status.PENDING, Delivery.Status.SENDING)


def _age(oldest: datetime | None, now: datetime) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


class OutboxBacklogCollector:
    """Two gauges per outbox (``notifications``, ``webhooks``): rows waiting, and the age in
    seconds of the oldest (0 when none waits). Two indexed aggregate queries per scrape."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        emails = Notification.objects.filter(email_status__in=WAITING_EMAILS).aggregate(
            waiting=Count("pk"), oldest=Min("created_at")
        )
        # A delivery waits since it was created or redelivered: both set its 24-hour retry
        # window from that moment.
        deliveries = Delivery.objects.filter(status__in=WAITING_DELIVERIES).aggregate(
            waiting=Count("pk"), window_end=Min("retry_until")
        )
        deliveries_since = deliveries["window_end"] and (
            deliveries["window_end"] - Delivery.RETRY_WINDOW
        )
        waiting = GaugeMetricFamily(
            "elvis_outbox_waiting",
            "Outbox rows not yet sent: e-mails of notifications, webhook deliveries.",
            labels=["outbox"],
        )
        waiting.add_metric(["notifications"], emails["waiting"])
        waiting.add_metric(["webhooks"], deliveries["waiting"])
        oldest = GaugeMetricFamily(
            "elvis_outbox_oldest_waiting_age_seconds",
            "Age of the oldest outbox row not yet sent (0 when none waits).",
            labels=["outbox"],
        )
        oldest.add_metric(["notifications"], _age(emails["oldest"], now))
        oldest.add_metric(["webhooks"], _age(deliveries_since, now))
        yield waiting
        yield oldest
