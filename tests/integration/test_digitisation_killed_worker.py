"""A worker killed (``kill -9``) in the middle of a pipeline task leaves nothing half-done in
view, and the work completes exactly once when the task is delivered again.

The worker is held at the worst moment by the pipeline's test knobs (files written under their
temporary names, not yet renamed into place): ``DIGITISATION_PROCESSING_PAUSE_SECONDS`` and
``DIGITISATION_PACKAGING_PAUSE_SECONDS``. It runs ``--pool=solo``, so the kill takes the whole
worker, as a crashed machine would. Its task was ``acks_late``: Redis still holds the message
as unacknowledged and gives it to the next worker that starts once ``REDIS_VISIBILITY_TIMEOUT``
has passed; that worker takes over the dead one's claim, stale after
``DIGITISATION_STALE_CLAIM_SECONDS`` (both a few seconds here). No sweeper runs: the
redelivery alone completes the work.
"""

from __future__ import annotations

import os
import re
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from celery import Celery

from notifications.models import Notification
from tests.digitisation_support import jpeg
from virtual_access.models import Capture, DigitisationRequest

from .workers import database_url, manage_shell, running_worker, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
STALE_SECONDS = 2
PAUSE_SECONDS = 120  # far longer than the test waits: the worker is killed while it sleeps
DEADLINE_SECONDS = 120


def wait_for(condition, what: str, log: Path) -> None:
    until = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > until:
            pytest.fail(f"not {what} after {DEADLINE_SECONDS} s; log:\n{log.read_text()[-5000:]}")
        time.sleep(0.2)


@pytest.fixture
def worker_envs(tmp_path, media):
    """(the first worker's environment, which pauses; the second's, which does not)."""
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = worker_env(
        tmp_path / "var",
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ["TEST_REDIS_URL"],
        CELERY_QUEUE=queue,
        MEDIA_ROOT=str(media),
        REDIS_VISIBILITY_TIMEOUT=str(STALE_SECONDS),
        DIGITISATION_STALE_CLAIM_SECONDS=str(STALE_SECONDS),
    )
    paused = {
        **env,
        "DIGITISATION_PROCESSING_PAUSE_SECONDS": str(PAUSE_SECONDS),
        "DIGITISATION_PACKAGING_PAUSE_SECONDS": str(PAUSE_SECONDS),
    }
    return paused, env


def kill(worker) -> None:
    worker.kill()  # SIGKILL: no clean-up, no acknowledgement, no requeue by the worker
    worker.wait()


def send_again(env: dict[str, str], task: str, pk: int, log: Path) -> str:
    """The same task delivered once more (a duplicate message): it must change nothing. Its
    outcome as the worker logs it (pipeline tasks store no result: CELERY_TASK_IGNORE_RESULT)."""
    # Not the current app: the test process's own tasks must keep running eagerly after this.
    client = Celery(broker=env["REDIS_URL"], set_as_current=False)
    try:
        sent = client.send_task(task, args=[pk], queue=env["CELERY_QUEUE"])
    finally:
        client.close()
    done = re.compile(rf"Task {task}\[{sent.id}\] succeeded in [0-9.]+s: '([^']*)'")
    wait_for(lambda: done.search(log.read_text()) is not None, f"{task} done again", log)
    return done.search(log.read_text()).group(1)


def redelivered(task: str, first_log: Path, second_log: Path, outcome: str) -> bool:
    """The message the killed worker received is the one the next worker completed."""
    [task_id] = re.findall(rf"Task {task}\[([0-9a-f-]+)\] received", first_log.read_text())
    done = rf"Task {task}\[{task_id}\] succeeded in [0-9.]+s: '{outcome}'"
    return re.search(done, second_log.read_text()) is not None


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_worker_killed_while_processing_a_capture_leaves_no_derivative_and_the_next_processes_it_once(  # noqa: E501
    tmp_path, dig_request, curator_a, media, worker_envs
):
    paused, env = worker_envs
    request = dig_request()
    item = request.items.order_by("pk").first()
    master = tmp_path / "NHMUK010101234.jpg"
    master.write_bytes(jpeg((1200, 900), (30, 150, 60)))
    store = (
        "from django.core.files import File; from accounts.models import User; "
        "from virtual_access.models import DigitisationItem; "
        "from virtual_access.captures import store_capture; "
        f"f = open({str(master)!r}, 'rb'); "
        f"c = store_capture(DigitisationItem.objects.get(pk={item.pk}), File(f), "
        f"uploaded_by=User.objects.get(pk={curator_a.pk}), name='NHMUK010101234.jpg'); "
        "print(c.pk)"
    )
    derivatives = media / "derivatives" / str(request.pk)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    with running_worker(paused, paused["CELERY_QUEUE"], first_log) as first:
        capture = Capture.objects.get(pk=int(manage_shell(env, store)))
        # Held at the knob: both derivatives written under their temporary names.
        wait_for(lambda: len(hidden(derivatives)) == 2 if derivatives.exists() else False,
                 "paused with its derivatives written", first_log)  # fmt: skip
        kill(first)

    capture.refresh_from_db()
    assert capture.status == "processing" and capture.attempts == 1
    assert not capture.web and not capture.thumbnail
    assert visible(derivatives) == []  # nothing under a final name
    assert all(name.endswith(".partial") for name in hidden(derivatives))
    item.refresh_from_db()
    assert item.status == "captured"

    time.sleep(STALE_SECONDS + 1)  # the claim is stale and the message visible again
    with running_worker(env, env["CELERY_QUEUE"], second_log):
        wait_for(lambda: Capture.objects.get(pk=capture.pk).status == "processed",
                 "processed after the redelivery", second_log)  # fmt: skip
        assert send_again(env, "virtual_access.process_capture", capture.pk, second_log) == (
            "already handled"
        )

    capture.refresh_from_db()
    assert capture.attempts == 2
    assert visible(derivatives) == sorted(
        [Path(capture.web.name).name, Path(capture.thumbnail.name).name]
    )
    assert hidden(derivatives) == []  # the dead run's temporary files are gone
    assert redelivered("virtual_access.process_capture", first_log, second_log, "processed")
    item.refresh_from_db()
    assert item.status == "processed"


def test_a_worker_killed_while_building_the_package_leaves_only_a_part_file_and_the_next_delivers_once(  # noqa: E501
    tmp_path, dig_request, make_capture, researcher, media, worker_envs
):
    paused, env = worker_envs
    request = dig_request()
    for item, rgb in zip(request.items.order_by("pk"), [(220, 30, 30), (30, 30, 220)], strict=True):
        make_capture(item, rgb)
    request.items.update(status="processed")
    ask = (
        "from virtual_access.models import DigitisationRequest; "
        "from virtual_access.pipeline import request_package; "
        f"request_package(DigitisationRequest.objects.get(pk={request.pk})); print('asked')"
    )
    packages = media / "packages" / str(request.pk)

    def parts() -> list[Path]:
        return list(packages.glob(".*.zip.part")) if packages.exists() else []

    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with running_worker(paused, paused["CELERY_QUEUE"], first_log) as first:
        assert manage_shell(env, ask) == "asked"
        # Held at the knob: the zip is complete (its central directory written), not renamed.
        wait_for(lambda: any(zipfile.is_zipfile(p) for p in parts()),
                 "paused with its zip written", first_log)  # fmt: skip
        kill(first)

    request.refresh_from_db()
    assert (request.status, request.package_status) == ("in_progress", "building")
    assert not request.package
    assert visible(packages) == []  # no file under a name a download could use
    assert len(parts()) == 1
    assert not request.history.filter(action="deliver").exists()

    time.sleep(STALE_SECONDS + 1)
    with running_worker(env, env["CELERY_QUEUE"], second_log):
        wait_for(lambda: DigitisationRequest.objects.get(pk=request.pk).status == "delivered",
                 "delivered after the redelivery", second_log)  # fmt: skip
        assert send_again(env, "virtual_access.build_package", request.pk, second_log) == (
            "already handled"
        )

    request.refresh_from_db()
    assert request.package_status == "built"
    assert visible(packages) == [Path(request.package.name).name]
    assert parts() == []  # the dead build's .part was removed by the next build
    with zipfile.ZipFile(request.package.path) as archive:
        assert archive.testzip() is None
        assert "manifest.json" in archive.namelist()
    assert request.history.filter(action="deliver").count() == 1
    assert (
        Notification.objects.filter(recipient=researcher, event="digitisation.delivered").count()
        == 1
    )
    assert redelivered("virtual_access.build_package", first_log, second_log, "delivered")
