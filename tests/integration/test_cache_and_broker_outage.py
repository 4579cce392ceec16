"""Redis (cache and broker) cut is not an API outage: with real processes — gunicorn serving the
API and a Celery worker, both reaching Redis through a proxy this test controls — a burst of
API calls during the cut (reads, an approval that owes an e-mail and a webhook, anonymous and
token-throttled calls, a login) gets no 5xx and answers promptly; readiness says not ready
while liveness stays up. Once Redis is back the sweepers hand over what waited, and every
e-mail and webhook goes out exactly once: nothing lost.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import urllib3
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

from accounts.tokens import issue
from notifications.models import Notification
from webhooks.models import Delivery

from .. import webhooks_support as support
from ..conftest import PASSWORD
from ..fault_proxy import FaultProxy
from .workers import ROOT, database_url, manage_shell, running_worker, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
#: An answer within this is prompt; a request stuck on Redis would take gunicorn's 30 s.
PROMPT = 10.0
SWEEP = (
    "from notifications.tasks import sweep_outbox; from webhooks.tasks import sweep_deliveries; "
    "print(sweep_outbox() + sweep_deliveries())"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_proxy() -> Iterator[tuple[FaultProxy, str]]:
    """A proxy to the test Redis, and the URL of the same database through it."""
    target = urlsplit(os.environ["TEST_REDIS_URL"])
    with FaultProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        yield proxy, f"redis://{proxy.address}{target.path or '/0'}"


@contextmanager
def running_web(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """gunicorn serving the app on ``port`` as production does; its base URL once it answers."""
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [GUNICORN, "elvis.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2",
             "--access-logfile", "-"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib3.request("GET", f"{base}/healthz/", retries=False).status == 200:
                    break
            except urllib3.exceptions.HTTPError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def as_json(body: dict, headers: dict[str, str] | None = None) -> dict:
    return {
        "body": json.dumps(body),
        "headers": {**(headers or {}), "Content-Type": "application/json"},
    }


def timed(http: urllib3.PoolManager, method: str, url: str, **kwargs) -> tuple[int, float]:
    started = time.monotonic()
    response = http.request(method, url, **kwargs)
    return response.status, time.monotonic() - started


def test_api_calls_answer_during_a_redis_cut_and_the_outbox_delivers_afterwards(
    tmp_path, redis_proxy, make_loan, curator_a, institution_a
):
    proxy, redis_url = redis_proxy
    loan = make_loan(status="submitted")
    _, key = issue(curator_a, "collection system")
    # The web process checks passwords with the production hashers, not the tests' fast one.
    curator_a.password = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    curator_a.save(update_fields=["password"])
    token = {"Authorization": f"Token {key}"}
    queue = f"it-{uuid.uuid4().hex[:8]}"
    http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=40))

    with support.Receiver() as receiver:
        support.subscription_for(support.partner_of(institution_a), institution_a, receiver.url)
        env = worker_env(
            tmp_path,
            DATABASE_URL=database_url(),
            REDIS_URL=redis_url,
            CELERY_QUEUE=queue,
            WEBHOOK_ALLOW_PRIVATE_ADDRESSES="1",
            WEBHOOK_ALLOW_HTTP="1",
            WEBHOOK_ALLOWED_PORTS=str(receiver.port),
            # Low enough that this burst would be refused if the cache still counted.
            THROTTLE_ANON="3/minute",
        )
        with (
            running_worker(env, None, tmp_path / "worker.log", name=queue),
            running_web(env, free_port(), tmp_path / "web.log") as base,
        ):
            # Every connection to Redis (cache, broker) is open before the cut.
            assert http.request("GET", f"{base}/api/v1/loan-requests/", headers=token).status == 200
            assert http.request("GET", f"{base}/readyz/").status == 200

            proxy.cut()
            answers = {
                "list": timed(http, "GET", f"{base}/api/v1/loan-requests/", headers=token),
                "detail": timed(
                    http, "GET", f"{base}/api/v1/loan-requests/{loan.pk}/", headers=token
                ),
                "approve": timed(
                    http,
                    "POST",
                    f"{base}/api/v1/loan-requests/{loan.pk}/approve/",
                    **as_json({"comment": "Approved during the cut."}, token),
                ),
                "login": timed(
                    http,
                    "POST",
                    f"{base}/api/v1/auth/token/",
                    **as_json({"email": curator_a.email, "password": PASSWORD}),
                ),
                **{
                    f"anonymous {n}": timed(http, "GET", f"{base}/api/v1/institutions/")
                    for n in range(5)
                },
                "liveness": timed(http, "GET", f"{base}/healthz/"),
                "readiness": timed(http, "GET", f"{base}/readyz/"),
            }
            ready_checks = http.request("GET", f"{base}/readyz/").json()["checks"]

            statuses = {name: status for name, (status, _) in answers.items()}
            assert statuses == {**dict.fromkeys(answers, 200), "readiness": 503}, (
                tmp_path / "web.log"
            ).read_text()[-3000:]
            slow = {name: round(took, 1) for name, (_, took) in answers.items() if took > PROMPT}
            assert not slow
            assert ready_checks["broker"].startswith("Unavailable: broker unreachable")
            assert ready_checks["cache"].startswith("Unavailable: cache unreachable")
            assert ready_checks["database"] == "OK"

            # Committed, owed, and waiting for the sweeper: not handed to the (cut) broker.
            loan.refresh_from_db()
            assert loan.status == "approved"
            notes = list(Notification.objects.filter(email_status="pending"))
            deliveries = list(Delivery.objects.filter(status="pending"))
            assert notes and deliveries
            assert all(n.email_enqueued_at is None for n in notes)
            assert all(d.enqueued_at is None for d in deliveries)

            proxy.restore()
            assert manage_shell(env, SWEEP) == str(len(notes) + len(deliveries))
            deadline = time.monotonic() + 60
            while (
                Notification.objects.exclude(email_status="sent").exists()
                or Delivery.objects.exclude(status="delivered").exists()
            ):
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                time.sleep(0.3)
            manage_shell(env, SWEEP)  # nothing left to offer: nothing is sent twice
            deadline = time.monotonic() + 30
            while http.request("GET", f"{base}/readyz/").status != 200:
                assert time.monotonic() < deadline, "not ready again after Redis came back"
                time.sleep(0.5)

    mails = list((tmp_path / "mail").iterdir())
    assert len(mails) == len(notes)
    assert all(loan.reference in mail.read_text() for mail in mails)
    event_ids = [hook.headers["webhook-id"] for hook in receiver.received]
    assert sorted(event_ids) == sorted(str(d.event_id) for d in deliveries)
