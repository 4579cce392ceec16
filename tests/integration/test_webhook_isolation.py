"""A partner's receiver that accepts and never answers delays only its own deliveries: with a
worker per queue group (as production runs them, on Redis), an e-mail and another partner's
delivery caused while it hangs go out at once; its next delivery waits for its turn
(``WEBHOOK_MAX_IN_FLIGHT=1``) rather than take the other webhook slot; and the hung attempt is
cut at its budget (``WEBHOOK_TIMEOUT``) and logged, to be retried."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from notifications.models import Notification
from webhooks.models import Delivery, DeliveryAttempt

from .. import webhooks_support as support
from .workers import database_url, manage_shell, running_worker, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
BUDGET = 8


class HangingReceiver:
    """Accepts connections, reads nothing, answers nothing; counts what it accepted."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server.getsockname()[1]

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.server.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def hanging() -> Iterator[HangingReceiver]:
    receiver = HangingReceiver()
    yield receiver
    receiver.close()


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)


def test_a_hanging_receiver_delays_neither_e_mail_nor_other_partners(
    tmp_path, hanging, make_loan, curator_a, institution_a
):
    good = support.Receiver().__enter__()
    partner = support.partner_of(institution_a)
    stuck = support.subscription_for(partner, institution_a, f"http://127.0.0.1:{hanging.port}/")
    flowing = support.subscription_for(partner, institution_a, good.url)
    first, second = (make_loan(status="submitted", specimens=[]) for _ in range(2))
    queue = f"it-{uuid.uuid4().hex[:8]}"
    env = worker_env(
        tmp_path,
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ["TEST_REDIS_URL"],
        CELERY_QUEUE=queue,
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES="1",
        WEBHOOK_ALLOW_HTTP="1",
        WEBHOOK_ALLOWED_PORTS=f"{hanging.port},{good.port}",
        WEBHOOK_TIMEOUT=str(BUDGET),
        WEBHOOK_MAX_IN_FLIGHT="1",
    )
    # The web process: approve the first loan, wait until a worker hangs on its delivery to the
    # stuck partner (claimed, sending), approve the second.
    approve_both = (
        "import time; from elvis.workflow.service import perform; "
        "from loans.models import LoanRequest; from accounts.models import User; "
        "from webhooks.models import Delivery; "
        f"curator = User.objects.get(pk={curator_a.pk}); "
        f"perform(LoanRequest.objects.get(pk={first.pk}), 'approve', actor=curator); "
        "deadline = time.monotonic() + 20\n"
        f"while not Delivery.objects.filter(subscription_id={stuck.pk}, status='sending')"
        ".exists() and time.monotonic() < deadline: time.sleep(0.05)\n"
        f"perform(LoanRequest.objects.get(pk={second.pk}), 'approve', actor=curator); "
        "print('ok')"
    )
    mail = tmp_path / "mail"

    def sent(loan) -> bool:
        return Notification.objects.filter(
            reference=loan.reference, email_status="sent", recipient__email="researcher@example.org"
        ).exists()

    def delivered(loan) -> bool:
        return Delivery.objects.filter(
            subscription=flowing, resource_id=loan.pk, status="delivered"
        ).exists()

    try:
        with (
            # The default group on a one-slot pool: were deliveries routed there, the hang
            # would hold up every e-mail behind it.
            running_worker(
                {**env, "WORKER_QUEUES": "default"}, None, tmp_path / "w.log", name="default"
            ),
            running_worker(
                {**env, "WORKER_QUEUES": "webhooks"},
                None,
                tmp_path / "webhooks.log",
                name="webhooks",
                pool=("--pool=prefork", "--concurrency=2"),
            ),
        ):
            assert manage_shell(env, approve_both) == "ok"
            wait_for(lambda: sent(second) and delivered(second), BUDGET, "mail and others' hook")
            # All that while the first attempt still hangs (logged as in progress, not finished),
            # and the stuck partner's second delivery did not take the other webhook slot.
            stuck_attempts = DeliveryAttempt.objects.filter(delivery__subscription=stuck)
            finished = stuck_attempts.filter(state=DeliveryAttempt.State.FINISHED)
            assert [a.state for a in stuck_attempts] == [DeliveryAttempt.State.SENDING]
            assert len(hanging.connections) == 1

            wait_for(finished.exists, BUDGET + 10, "the hung attempt is cut and logged")
            attempt = stuck_attempts.get()
            assert attempt.error == f"No complete answer within {BUDGET} seconds."
            assert BUDGET * 1000 <= attempt.duration_ms < (BUDGET + 3) * 1000
            assert attempt.delivery.status in {"pending", "sending"}  # retried, not failed
    finally:
        good.__exit__(None, None, None)
    assert sent(first) and len(list(mail.iterdir())) >= 2
