"""In the embedded mode (`make run`: the filesystem broker, real workers beside the web server),
the readiness probe wants a worker for each of the site's queues, the default one and the
webhooks': one worker per queue group, as `make run` and production start them."""

from __future__ import annotations

import uuid

from .workers import manage_shell, running_worker, worker_env

PROBE = (
    "from django.test import Client; "
    "answer = Client().get('/readyz/'); "
    "print(answer.status_code, answer.json()['checks']['celery'])"
)


def test_the_workers_of_both_queue_groups_answer_the_readiness_check(tmp_path):
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = worker_env(tmp_path, CELERY_QUEUE=queue)
    default = {**env, "WORKER_QUEUES": "default"}
    webhooks = {**env, "WORKER_QUEUES": "webhooks"}
    with running_worker(default, None, tmp_path / "worker.log", name=f"{queue}-default"):
        only_default = manage_shell(env, PROBE)
        with running_worker(webhooks, None, tmp_path / "webhooks.log", name=f"{queue}-webhooks"):
            ready = manage_shell(env, PROBE)
    stopped = manage_shell(env, PROBE)

    assert only_default == f"503 Unavailable: No worker for Celery task queue {queue}.webhooks"
    assert ready == "200 OK"
    assert stopped == "503 Unavailable: Celery workers unavailable"
