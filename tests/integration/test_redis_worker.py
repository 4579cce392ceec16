"""Production mode: a real worker process on the Redis broker executes a task.

Runs when TEST_REDIS_URL is set (CI sets it); with it set and Redis down, it fails loudly.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from celery import Celery

from .workers import running_worker, worker_env

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> str:
    url = os.environ["TEST_REDIS_URL"]
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {url} is not reachable ({exc}); start it or unset TEST_REDIS_URL")
    return url


def test_a_worker_on_the_redis_broker_executes_a_task(tmp_path, redis_url):
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = worker_env(tmp_path, REDIS_URL=redis_url)
    with running_worker(env, queue, tmp_path / "worker.log"):
        client = Celery(broker=redis_url, backend=redis_url, set_as_current=False)
        result = client.send_task("elvis.ping", args=["via redis"], queue=queue)
        assert result.get(timeout=60, disable_sync_subtasks=False) == "via redis"
