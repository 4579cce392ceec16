"""The pipeline's Celery tasks: one per capture, one per package, and the sweeper.

Each task claims its row by compare-and-set before any side effect, works on temporary files
that are renamed into place, and records the result in one transaction; it is ``acks_late``
so a worker killed mid-task leaves the message to be delivered again, and the claim of a dead
worker goes stale and is taken over. So the work completes exactly once, and nothing half-done
is ever visible.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from elvis.workflow.errors import WorkflowError
from elvis.workflow.service import perform
from elvis.workflow.system import system_actor

from . import packaging, pipeline, processing
from .models import Capture, CaptureStatus, DigitisationRequest, DigitisationStatus, PackageStatus

logger = logging.getLogger(__name__)

#: A claim older than this belongs to a worker that died; the work is offered again. The
#: default of ``DIGITISATION_STALE_CLAIM_SECONDS`` (see ``stale_claim``).
STALE_CLAIM = timedelta(minutes=30)
#: Captures waiting longer than this since their hand-over were lost with a broker.
REENQUEUE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def stale_claim() -> timedelta:
    """How old a claim must be to be taken over: ``DIGITISATION_STALE_CLAIM_SECONDS`` (longer
    than the slowest capture or package; the killed-worker tests set a few seconds)."""
    seconds = getattr(settings, "DIGITISATION_STALE_CLAIM_SECONDS", None)
    return STALE_CLAIM if seconds is None else timedelta(seconds=seconds)


@shared_task(name="virtual_access.process_capture", acks_late=True, reject_on_worker_lost=True)
def process_capture(capture_id: int) -> str:
    """Check, measure and derive one capture; then settle its item."""
    now = timezone.now()
    claimed = (
        Capture.objects.filter(pk=capture_id)
        .filter(
            Q(status=CaptureStatus.PENDING)
            | Q(status=CaptureStatus.PROCESSING, claimed_at__lt=now - stale_claim())
        )
        .update(status=CaptureStatus.PROCESSING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "already handled"
    capture = Capture.objects.select_related("item__specimen").get(pk=capture_id)
    try:
        result = processing.process(capture)
    except processing.ImageRefused as refusal:
        Capture.objects.filter(pk=capture_id, claimed_at=now).update(
            status=CaptureStatus.FAILED, error=str(refusal), processed_at=timezone.now()
        )
        pipeline.settle_item(capture.item_id)
        return "refused"
    with transaction.atomic():
        updated = Capture.objects.filter(pk=capture_id, claimed_at=now).update(
            status=CaptureStatus.PROCESSED, error="", processed_at=timezone.now(), **result
        )
        if not updated:  # our claim was taken over: the other run records the result
            processing.discard(result)
            return "taken over"
    pipeline.settle_item(capture.item_id)
    return "processed"


@shared_task(name="virtual_access.build_package", acks_late=True, reject_on_worker_lost=True)
def build_package(request_id: int) -> str:
    """Build the delivery package of a request whose items are all processed, then deliver."""
    now = timezone.now()
    claimed = (
        DigitisationRequest.objects.filter(pk=request_id, status=DigitisationStatus.IN_PROGRESS)
        .exclude(package_due_at__gt=now)  # still quiet: the sweeper hands it over when due
        .filter(
            Q(package_status=PackageStatus.NONE)
            | Q(package_status=PackageStatus.BUILDING, package_claimed_at__lt=now - stale_claim())
        )
        .update(package_status=PackageStatus.BUILDING, package_claimed_at=now)
    )
    if not claimed:
        return "already handled"
    request = DigitisationRequest.objects.get(pk=request_id)
    try:
        built = packaging.build(request)
    except packaging.PackageRefused as refusal:
        DigitisationRequest.objects.filter(pk=request_id, package_claimed_at=now).update(
            package_status=PackageStatus.FAILED, package_error=str(refusal)
        )
        return "refused"
    with transaction.atomic():
        updated = DigitisationRequest.objects.filter(pk=request_id, package_claimed_at=now).update(
            package_status=PackageStatus.BUILT, package_error="", **built
        )
        if not updated:
            packaging.discard(built)
            return "taken over"
    try:
        perform(DigitisationRequest.objects.get(pk=request_id), "deliver", actor=system_actor())
    except WorkflowError as error:  # cancelled meanwhile: the package stays, undelivered
        logger.info("package of %s built but not delivered: %s", request_id, error)
        return "built"
    return "delivered"


@shared_task(name="virtual_access.sweep_pipeline")
def sweep_pipeline() -> int:
    """Hand over again what a broker outage or a dead worker left waiting; returns how many."""
    now = timezone.now()
    stale = list(
        Capture.objects.filter(
            Q(status=CaptureStatus.PENDING)
            & (Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REENQUEUE_AFTER))
            | Q(status=CaptureStatus.PROCESSING, claimed_at__lt=now - stale_claim())
        )
        .filter(attempts__lt=MAX_ATTEMPTS)
        .values_list("pk", flat=True)[:1000]
    )
    pipeline.enqueue_captures(stale)
    packages = pipeline.waiting_packages()
    pipeline.enqueue_packages(packages)
    return len(stale) + len(packages)
