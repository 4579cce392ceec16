"""No package while an item failed: the curator's ``build_package`` is a 409, and a build that
gets there anyway is refused and recorded where a person sees it."""

from __future__ import annotations

import pytest

from virtual_access import packaging, tasks
from virtual_access.models import DigitisationRequest, PackageStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_failed(delivered_set):
    item = delivered_set.items.order_by("pk").last()
    item.status, item.failure_reason = "failed", "IMG_4.tif: truncated file"
    item.save(update_fields=["status", "failure_reason"])
    return delivered_set


def test_the_build_package_action_is_a_409_naming_the_failed_item(api_as, curator_a, one_failed):
    answer = api_as(curator_a).post(
        f"/api/v1/digitisation-requests/{one_failed.pk}/build_package/", {}, format="json"
    )
    assert answer.status_code == 409, answer.content
    assert "1 failed" in answer.json()["detail"]
    assert not one_failed.history.filter(action="build_package").exists()


def test_the_builder_refuses_and_writes_no_file(one_failed, media):
    with pytest.raises(packaging.PackageRefused, match="not processed"):
        packaging.build(one_failed)
    assert not (media / "packages").exists() or not any((media / "packages").rglob("*"))


def test_the_task_records_the_refusal_and_does_not_deliver(one_failed):
    assert tasks.build_package(one_failed.pk) == "refused"
    request = DigitisationRequest.objects.get(pk=one_failed.pk)
    assert request.package_status == PackageStatus.FAILED
    assert "not processed" in request.package_error
    assert request.status == "in_progress"
    assert not request.package
