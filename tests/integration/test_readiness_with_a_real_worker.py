"""In the embedded mode (`make run`: the filesystem broker, a real worker beside the web
server), the readiness probe's Celery ping is answered by the worker, and only while it runs."""

from __future__ import annotations

import uuid

from .workers import manage_shell, running_worker, worker_env

PROBE = (
    "from django.test import Client; "
    "answer = Client().get('/readyz/'); "
    "print(answer.status_code, answer.json()['checks']['celery'])"
)


def test_the_worker_answers_the_readiness_ping_on_the_embedded_broker(tmp_path):
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = worker_env(tmp_path, CELERY_QUEUE=queue)
    with running_worker(env, queue, tmp_path / "worker.log"):
        ready = manage_shell(env, PROBE)
    stopped = manage_shell(env, PROBE)

    assert ready == "200 OK"
    assert stopped == "503 Unavailable: Celery workers unavailable"
