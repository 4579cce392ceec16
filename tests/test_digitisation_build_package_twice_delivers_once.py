"""``build_package`` delivered twice builds and delivers once; the requester is told once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from notifications.models import Notification
from virtual_access import packaging, tasks
from virtual_access.models import DigitisationRequest, PackageStatus

pytestmark = pytest.mark.django_db


def test_the_second_run_finds_the_work_done(
    delivered_set, media, researcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.build_package(delivered_set.pk) == "delivered"
        assert tasks.build_package(delivered_set.pk) == "already handled"
    request = DigitisationRequest.objects.get(pk=delivered_set.pk)
    assert request.status == "delivered" and request.delivered_at is not None
    assert request.package_status == PackageStatus.BUILT
    assert list(request.history.values_list("action", flat=True)).count("deliver") == 1
    assert len(list((media / "packages" / str(request.pk)).iterdir())) == 1
    delivered = Notification.objects.filter(event="digitisation.delivered")
    assert [n.recipient for n in delivered] == [researcher]
    note = delivered.get()
    assert "ready" in note.subject and request.reference in note.subject
    assert f"/virtual_access/{request.pk}/" in note.body


def test_a_run_whose_claim_was_taken_over_discards_its_file(delivered_set, media, monkeypatch):
    """Two workers on one request: the one whose claim went stale and was taken over finds its
    result unrecordable and removes its file; the winner's package stays."""
    real_build = packaging.build
    holder: dict[str, str] = {}

    def overtaken(request):
        built = real_build(request)
        holder["loser"] = built["package"]
        # Meanwhile another worker took the stale claim over: the claim is no longer ours.
        DigitisationRequest.objects.filter(pk=request.pk).update(package_claimed_at=timezone.now())
        return built

    monkeypatch.setattr(packaging, "build", overtaken)
    assert tasks.build_package(delivered_set.pk) == "taken over"
    assert not (media / holder["loser"]).exists()
    request = DigitisationRequest.objects.get(pk=delivered_set.pk)
    assert request.status == "in_progress" and not request.package
