"""A build that dies midway leaves nothing under a package's name: the zip is written to a
temporary file, renamed into place only once complete, and removed when the build fails."""

from __future__ import annotations

import pytest

from virtual_access import iiif, packaging, tasks
from virtual_access.models import DigitisationRequest, PackageStatus

pytestmark = pytest.mark.django_db


class Killed(Exception):
    pass


def test_midway_only_a_temporary_file_exists_and_afterwards_nothing(
    delivered_set, media, monkeypatch
):
    seen: list[str] = []

    def dies(*args, **kwargs):
        folder = media / "packages" / str(delivered_set.pk)
        seen.extend(path.name for path in folder.iterdir())
        raise Killed

    monkeypatch.setattr(iiif, "build_manifest", dies)  # after the images, before the end
    with pytest.raises(Killed):
        packaging.build(delivered_set)
    assert len(seen) == 1 and seen[0].endswith(".zip.part") and seen[0].startswith(".")
    assert list((media / "packages" / str(delivered_set.pk)).iterdir()) == []
    assert delivered_set.items.exclude(mids_level=None).count() == 0


def test_a_task_killed_midway_records_nothing_and_its_redelivery_completes_once_stale(
    delivered_set, media, monkeypatch
):
    real = iiif.build_manifest
    monkeypatch.setattr(iiif, "build_manifest", lambda *a, **k: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        tasks.build_package(delivered_set.pk)
    request = DigitisationRequest.objects.get(pk=delivered_set.pk)
    assert request.package_status == PackageStatus.BUILDING and not request.package
    assert request.status == "in_progress"
    assert tasks.build_package(delivered_set.pk) == "already handled"  # the claim is live

    monkeypatch.setattr(iiif, "build_manifest", real)
    DigitisationRequest.objects.filter(pk=delivered_set.pk).update(
        package_claimed_at=request.package_claimed_at - tasks.STALE_CLAIM * 2
    )
    assert tasks.build_package(delivered_set.pk) == "delivered"
    request.refresh_from_db()
    assert request.status == "delivered" and request.package_status == PackageStatus.BUILT
    assert [p.name for p in (media / "packages" / str(request.pk)).iterdir()] == [
        request.package.name.rsplit("/", 1)[1]
    ]
