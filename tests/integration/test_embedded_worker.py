"""The embedded default (no broker server): a real worker process executes tasks sent through
kombu's filesystem transport, exactly as `make run` sets it up."""

from __future__ import annotations

import uuid

from celery import Celery

from .workers import running_worker, worker_env


def test_a_worker_on_the_filesystem_broker_executes_a_task(tmp_path):
    queue = f"it-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "celery"
    with running_worker(worker_env(tmp_path), queue, tmp_path / "worker.log"):
        client = Celery(  # not the current app: the test process's tasks stay eager
            set_as_current=False,
            broker="filesystem://",
            backend=f"file://{folder / 'results'}",
            broker_transport_options={
                "data_folder_in": str(folder / "in"),
                "data_folder_out": str(folder / "in"),
                "processed_folder": str(folder / "processed"),
                "control_folder": str(folder / "control"),
            },
        )
        result = client.send_task("elvis.ping", args=["embedded"], queue=queue)
        # The test process is not a worker: an eager task run earlier in it must not make
        # Celery think this wait happens inside a task.
        assert result.get(timeout=60, disable_sync_subtasks=False) == "embedded"
