"""A curator approves while Redis is down: the approval succeeds, and once a broker is back the
e-mail goes out exactly once — with real processes: the approving process points at a dead port,
then a real worker on a live Redis delivers what the sweeper re-offers."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from notifications.models import Notification

from .workers import database_url, manage_shell, running_worker, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
DEAD_BROKER = "redis://127.0.0.1:1/15"


def test_an_approval_during_a_broker_outage_is_mailed_exactly_once_when_it_is_back(
    tmp_path, make_loan, curator_a
):
    live_broker = os.environ["TEST_REDIS_URL"]
    loan = make_loan(status="submitted")
    queue = f"it-{uuid.uuid4().hex[:8]}"
    base = worker_env(tmp_path, DATABASE_URL=database_url(), CELERY_QUEUE=queue)
    mail_dir = tmp_path / "mail"

    # 1. The web process's broker is down: the approval still succeeds.
    approve = (
        "from elvis.workflow.service import perform; from loans.models import LoanRequest; "
        "from accounts.models import User; "
        f"loan = perform(LoanRequest.objects.get(pk={loan.pk}), 'approve', "
        f"actor=User.objects.get(pk={curator_a.pk})); print(loan.status)"
    )
    assert manage_shell({**base, "REDIS_URL": DEAD_BROKER}, approve) == "approved"
    note = Notification.objects.get()
    assert note.email_status == "pending"
    assert not mail_dir.exists() or not any(mail_dir.iterdir())

    # 2. The broker is back: beat's sweeper re-offers the mail (twice here), one worker sends it.
    live = {**base, "REDIS_URL": live_broker}
    with running_worker(live, queue, tmp_path / "worker.log"):
        sweep = "from notifications.tasks import sweep_outbox; print(sweep_outbox())"
        assert manage_shell(live, sweep) == "1"
        deadline = time.monotonic() + 60
        while Notification.objects.get().email_status != "sent":
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.3)
        Notification.objects.filter(pk=note.pk).update(email_enqueued_at=None)
        manage_shell(live, sweep)  # a second offer of the same mail must not send it again
        time.sleep(2)

    files = list(mail_dir.iterdir())
    assert len(files) == 1, [f.read_text()[:200] for f in files]
    assert loan.reference in files[0].read_text()
    assert Notification.objects.get().email_attempts == 1
