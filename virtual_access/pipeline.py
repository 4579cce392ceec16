"""The digitisation pipeline's moves between its tasks, each written where it is decided and
handed to the broker after commit (``elvis.outbox``), so a broker outage delays a step and
the sweeper (``sweep_pipeline``) hands it over again — none is lost.

capture stored → ``process_capture`` (one task per capture) → item processed when all its
captures are → package requested when every item is → ``build_package`` → ``deliver`` (the
system's transition) → the requester is notified by the workflow event.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from elvis import outbox
from elvis.celery import app as celery_app
from elvis.workflow import events

from .models import (
    Capture,
    CaptureStatus,
    DigitisationItem,
    DigitisationRequest,
    DigitisationStatus,
    ItemStatus,
    PackageStatus,
)


def _mark_capture_enqueued(pk: int) -> None:
    Capture.objects.filter(pk=pk).update(enqueued_at=timezone.now())


def _mark_package_enqueued(pk: int) -> None:
    """Nothing to record: a request waiting for its package is found by its state."""


def _task(name: str):
    """A pipeline task by its registered name (``virtual_access.tasks`` imports this module)."""
    return celery_app.tasks[name]


def enqueue_captures(ids: Iterable[int]) -> None:
    outbox.enqueue_on_commit(
        _task("virtual_access.process_capture"), ids, mark_enqueued=_mark_capture_enqueued
    )


def capture_stored(capture: Capture) -> None:
    """A new master: its item is captured, and its processing is queued after commit. A
    package waiting for its quiet period waits again."""
    DigitisationRequest.objects.filter(
        pk=capture.item.request_id, package_due_at__isnull=False
    ).update(
        package_due_at=timezone.now()
        + timedelta(seconds=settings.DIGITISATION_PACKAGE_QUIET_SECONDS)
    )
    DigitisationItem.objects.filter(
        pk=capture.item_id, status__in=(ItemStatus.PENDING, ItemStatus.PROCESSED)
    ).update(status=ItemStatus.CAPTURED)
    enqueue_captures([capture.pk])


def retry_items(request: DigitisationRequest, item_ids: list[int]) -> None:
    """Failed items' refused captures go back to the queue."""
    captures = list(
        Capture.objects.filter(
            item__request=request, item_id__in=item_ids, status=CaptureStatus.FAILED
        ).values_list("pk", flat=True)
    )
    Capture.objects.filter(pk__in=captures).update(status=CaptureStatus.PENDING, error="")
    DigitisationItem.objects.filter(pk__in=item_ids).update(
        status=ItemStatus.CAPTURED, failure_reason=""
    )
    enqueue_captures(captures)


def settle_item(item_id: int) -> None:
    """After a capture's processing: the item is processed when all its captures are, failed
    when one was refused; once every item is processed the package is requested."""
    with transaction.atomic():
        item = DigitisationItem.objects.select_for_update().get(pk=item_id)
        captures = list(item.captures.values_list("status", "error", "original_name"))
        if not captures:
            return
        refused = [
            (name, error) for status, error, name in captures if status == CaptureStatus.FAILED
        ]
        if refused:
            status = ItemStatus.FAILED
            reason = "; ".join(f"{name}: {error}" for name, error in refused)
        elif all(status == CaptureStatus.PROCESSED for status, _e, _n in captures):
            status, reason = ItemStatus.PROCESSED, ""
        else:
            return
        if (status, reason) == (item.status, item.failure_reason):
            return  # settled already (a task delivered twice): nothing new to tell
        item.status, item.failure_reason = status, reason
        item.save(update_fields=["status", "failure_reason"])
        request = DigitisationRequest.objects.get(pk=item.request_id)
        if item.status == ItemStatus.PROCESSED:
            events.emit_update("digitisation.item_processed", request, message=f"{item.pk}: {item}")
        if (
            request.status == DigitisationStatus.IN_PROGRESS
            and not request.items.exclude(status=ItemStatus.PROCESSED).exists()
        ):
            request_package(request)


def request_package(request: DigitisationRequest, *, wait: bool = True) -> None:
    """Queue the package build after commit (the task claims the build itself).

    With ``wait`` (the pipeline's own request) the build is due only after the quiet period
    (``DIGITISATION_PACKAGE_QUIET_SECONDS``) and handed to the broker with that countdown;
    every new capture meanwhile moves it later. A curator's "Build the package" does not wait.
    """
    quiet = settings.DIGITISATION_PACKAGE_QUIET_SECONDS if wait else 0
    due = timezone.now() + timedelta(seconds=quiet)
    DigitisationRequest.objects.filter(pk=request.pk).exclude(
        package_status=PackageStatus.BUILDING
    ).update(package_status=PackageStatus.NONE, package_error="", package_due_at=due)
    request.package_status, request.package_due_at = PackageStatus.NONE, due
    outbox.enqueue_on_commit(
        _task("virtual_access.build_package"),
        [request.pk],
        mark_enqueued=_mark_package_enqueued,
        countdown=quiet or None,
    )


def enqueue_packages(ids: list[int]) -> None:
    """Hand due packages to the broker again, leaving their state as it is."""
    outbox.enqueue_on_commit(
        _task("virtual_access.build_package"), ids, mark_enqueued=_mark_package_enqueued
    )


def waiting_packages() -> list[int]:
    """Requests in progress whose items are all processed and whose package is due but not
    built nor being built: a lost or early ``build_package`` left them (the sweeper queues
    them again)."""
    unprocessed = DigitisationItem.objects.filter(request=OuterRef("pk")).exclude(
        status=ItemStatus.PROCESSED
    )
    return list(
        DigitisationRequest.objects.filter(
            status=DigitisationStatus.IN_PROGRESS,
            package_status=PackageStatus.NONE,
            package_due_at__lte=timezone.now(),
        )
        .exclude(Exists(unprocessed))
        .values_list("pk", flat=True)[:100]
    )
