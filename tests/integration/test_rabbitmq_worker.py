"""RabbitMQ, Celery's reference broker, works as Redis does: a real worker process on the
RabbitMQ named by TEST_RABBITMQ_URL executes a task, and a transition's e-mail goes through
it from another process of the app (the outbox publishing on commit).

Runs when TEST_RABBITMQ_URL is set (CI sets it); with it set and RabbitMQ down, it fails loudly.
Each test consumes its own queue and deletes it afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
from celery import Celery
from celery.exceptions import TimeoutError as CeleryTimeoutError
from kombu import Connection

from notifications.models import Notification

from .workers import database_url, manage_shell, running_worker, worker_env

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
def rabbitmq_url() -> str:
    url = os.environ["TEST_RABBITMQ_URL"]
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.connect()
    except Exception as exc:  # kombu/amqp raise several kinds for a broker that is not there
        pytest.fail(
            f"RabbitMQ at {url} is not reachable ({exc}); start it or unset TEST_RABBITMQ_URL"
        )
    return url


@pytest.fixture
def queue(rabbitmq_url) -> Iterator[str]:
    """A queue of this test's own, deleted from the broker afterwards."""
    name = f"it-{uuid.uuid4().hex[:8]}"
    yield name
    with Connection(rabbitmq_url, connect_timeout=3) as connection:
        connection.default_channel.queue_delete(name)


def test_a_worker_on_the_rabbitmq_broker_executes_a_task(tmp_path, rabbitmq_url, queue):
    # The reply comes back through a result folder both processes share, not as an AMQP reply
    # (rpc://): the app reads no task's result, and an rpc:// reply published before this
    # client's reply queue exists is dropped, which made this test flaky without saying
    # anything about the broker.
    results = tmp_path / "results"
    results.mkdir()
    backend = f"file://{results}"
    env = worker_env(tmp_path, CELERY_BROKER_URL=rabbitmq_url, CELERY_RESULT_BACKEND=backend)
    log = tmp_path / "worker.log"
    with running_worker(env, queue, log):
        client = Celery(broker=rabbitmq_url, backend=backend, set_as_current=False)
        try:
            result = client.send_task("elvis.ping", args=["via rabbitmq"], queue=queue)
            try:
                answer = result.get(timeout=60, interval=0.2, disable_sync_subtasks=False)
            except CeleryTimeoutError:
                # Whether the worker never got the task or failed to store its answer, its log says.
                pytest.fail(f"no answer within 60 s; the worker's log:\n{log.read_text()}")
            assert answer == "via rabbitmq"
        finally:
            client.close()


@pytest.mark.django_db(transaction=True)
def test_an_approval_is_mailed_through_rabbitmq(
    tmp_path, rabbitmq_url, queue, make_loan, curator_a
):
    loan = make_loan(status="submitted")
    env = worker_env(
        tmp_path, DATABASE_URL=database_url(), CELERY_BROKER_URL=rabbitmq_url, CELERY_QUEUE=queue
    )
    approve = (
        "from elvis.workflow.service import perform; from loans.models import LoanRequest; "
        "from accounts.models import User; "
        f"loan = perform(LoanRequest.objects.get(pk={loan.pk}), 'approve', "
        f"actor=User.objects.get(pk={curator_a.pk})); print(loan.status)"
    )
    with running_worker(env, queue, tmp_path / "worker.log"):
        assert manage_shell(env, approve) == "approved"
        deadline = time.monotonic() + 60
        while Notification.objects.get().email_status != "sent":
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.3)

    note = Notification.objects.get()
    assert note.email_enqueued_at is not None  # handed to RabbitMQ on commit, not swept
    (mail,) = (tmp_path / "mail").iterdir()
    assert loan.reference in mail.read_text()
