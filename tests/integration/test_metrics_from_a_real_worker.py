"""Production's multiprocess metrics: a real Celery worker counts the outcomes of the tasks it
runs in its own metrics folder (``PROMETHEUS_MULTIPROC_DIR``), and the web's ``/metrics``
merges every process group's folder under ``METRICS_DIR``."""

from __future__ import annotations

import uuid

import pytest
from celery import Celery

from .. import metrics_support as support
from ..metrics_support import sample, scrape
from .workers import running_worker, worker_env

pytestmark = pytest.mark.django_db
metrics_token = support.metrics_token
COUNTER = "elvis_celery_tasks_total"


def test_a_real_workers_task_outcomes_reach_the_web_scrape(
    tmp_path, client, settings, metrics_token
):
    metrics_dir = tmp_path / "metrics"
    stale = metrics_dir / "worker" / "counter_424242.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by the previous run of this worker")
    settings.METRICS_DIR = str(metrics_dir)

    queue = f"it-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "celery"
    env = worker_env(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir / "worker"))
    with running_worker(env, queue, tmp_path / "worker.log"):
        assert not stale.exists()  # a worker starting anew drops its previous run's files
        client_app = Celery(  # not the current app: the test process's tasks stay eager
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
        for payload in ("one", "two"):
            result = client_app.send_task("elvis.ping", args=[payload], queue=queue)
            assert result.get(timeout=60, disable_sync_subtasks=False) == payload
        # Too many arguments: the task raises TypeError in the worker.
        broken = client_app.send_task("elvis.ping", args=["a", "b", "c"], queue=queue)
        with pytest.raises(TypeError):
            broken.get(timeout=60, disable_sync_subtasks=False)

    samples = scrape(client)
    assert sample(samples, COUNTER, task="elvis.ping", outcome="succeeded") == 2
    assert sample(samples, COUNTER, task="elvis.ping", outcome="failed") == 1
