"""The digitisation pipeline end to end on a real worker process and the Redis broker: captures
uploaded through the API (in another process, as the web process would) are processed, the
package is built and the request delivered, once, with the requester told.

The masters are made here with Pillow: a JPEG, a PNG and an 8000 × 6000 tiled, deflate-compressed
TIFF such as museum scanners write.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
import zipfile
from pathlib import Path

import pytest

from notifications.models import Notification
from tests.digitisation_support import jpeg, png, tiled_tiff
from virtual_access.models import Capture, DigitisationItem, DigitisationRequest

from .workers import database_url, manage_shell, running_worker, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
DEADLINE_SECONDS = 240

UPLOAD = """
from rest_framework.test import APIClient
from accounts.models import User
client = APIClient()
client.force_authenticate(User.objects.get(pk={user}))
codes = []
for item, path in {uploads!r}:
    with open(path, "rb") as file:
        answer = client.post(
            "/api/v1/digitisation-requests/{request}/items/%d/captures/" % item,
            {{"file": file}}, format="multipart",
        )
    codes.append(answer.status_code)
print(codes)
"""


def wait_for(condition, what: str, log: Path, deadline: float = DEADLINE_SECONDS) -> None:
    until = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > until:
            pytest.fail(f"not {what} after {deadline} s; worker log:\n{log.read_text()[-5000:]}")
        time.sleep(0.5)


def test_uploaded_captures_are_processed_packaged_and_delivered_once_by_a_real_worker(
    tmp_path, dig_request, make_specimen, curator_a, researcher, media
):
    request = dig_request()
    third = make_specimen("NHMUK010101236", scientific_name="Carabus nemoralis")
    DigitisationItem.objects.create(request=request, specimen=third)
    items = list(request.items.order_by("pk"))
    masters = {
        "NHMUK010101234.jpg": jpeg((1600, 1200), (200, 40, 30), dpi=600, exif=True),
        "NHMUK010101235.png": png((900, 700), (30, 60, 200)),
    }
    uploads = []
    for item, (name, data) in zip(items, masters.items(), strict=False):
        (tmp_path / name).write_bytes(data)
        uploads.append((item.pk, str(tmp_path / name)))
    tiff = tmp_path / "NHMUK010101236.tif"
    tiled_tiff(tiff, (8000, 6000))
    uploads.append((items[2].pk, str(tiff)))
    expected = {Path(path).name: hashlib.sha256(Path(path).read_bytes()).hexdigest()
                for _item, path in uploads}  # fmt: skip

    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = worker_env(
        tmp_path / "var",
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ["TEST_REDIS_URL"],
        CELERY_QUEUE=queue,
        MEDIA_ROOT=str(media),
        ALLOWED_HOSTS="testserver",
    )
    log = tmp_path / "worker.log"
    started = time.monotonic()
    with running_worker(env, queue, log):
        code = UPLOAD.format(user=curator_a.pk, uploads=uploads, request=request.pk)
        assert manage_shell(env, code) == "[201, 201, 201]"
        wait_for(
            lambda: DigitisationRequest.objects.get(pk=request.pk).status == "delivered",
            "delivered",
            log,
        )
    elapsed = time.monotonic() - started

    request.refresh_from_db()
    captures = list(Capture.objects.filter(item__request=request).order_by("pk"))
    assert [c.status for c in captures] == ["processed"] * 3, [c.error for c in captures]
    assert {c.original_name: c.sha256 for c in captures} == expected
    big = next(c for c in captures if c.original_name.endswith(".tif"))
    assert (big.format, big.width, big.height) == ("TIFF", 8000, 6000)
    for capture in captures:
        assert Path(capture.web.path).stat().st_size > 0
        assert Path(capture.thumbnail.path).stat().st_size > 0
    assert set(request.items.values_list("status", flat=True)) == {"processed"}

    assert request.package_status == "built"
    package = Path(request.package.path)
    assert hashlib.sha256(package.read_bytes()).hexdigest() == request.package_sha256
    with zipfile.ZipFile(package) as archive:
        assert archive.testzip() is None
        listing = json.loads(archive.read("manifest.json"))
        for entry in listing["files"]:
            data = archive.read(entry["path"])
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry["sha256"], entry["size"])
        masters_in_zip = {
            entry["sha256"] for entry in listing["files"] if entry["path"].startswith("masters/")
        }
    assert masters_in_zip == set(expected.values())
    assert not list(package.parent.glob(".*"))  # no temporary file left beside it

    assert request.history.filter(action="deliver").count() == 1
    assert Notification.objects.filter(
        recipient=researcher, event="digitisation.delivered"
    ).exists()
    print(f"pipeline on a real worker: {elapsed:.1f} s")  # shown with -s
