"""Housekeeping of API callers' data."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .models import IdempotencyRecord


@shared_task(name="accounts.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Keys past their lifetime (run hourly by beat); returns how many."""
    cutoff = timezone.now() - IdempotencyRecord.KEY_LIFETIME
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lte=cutoff).delete()
    return deleted
