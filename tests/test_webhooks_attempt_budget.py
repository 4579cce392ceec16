"""An attempt holds a webhook worker's slot for its time budget at most (``WEBHOOK_TIMEOUT``),
however the receiver stalls: accepting and never answering, or trickling its answer a byte
at a time (each byte well within a socket timeout, the whole far past the budget)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from webhooks.delivery import post
from webhooks.models import Delivery

from . import webhooks_support as support

pytestmark = pytest.mark.django_db
BUDGET = 1.0


class StallingReceiver:
    """A TCP server on 127.0.0.1 that reads the request, then sends ``answer`` one byte every
    ``pause`` seconds (nothing at all when ``answer`` is empty)."""

    def __init__(self, answer: bytes = b"", pause: float = 0.2) -> None:
        self.answer, self.pause = answer, pause
        self.server = socket.create_server(("127.0.0.1", 0))
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hooks"

    def _serve(self) -> None:
        self.server.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            with conn:
                conn.recv(65536)
                for byte in self.answer:
                    if self._stop.wait(self.pause):
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break  # the sender gave up: good
                self._stop.wait(30)

    def __enter__(self) -> StallingReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


def _delivery_to(url: str, institution) -> Delivery:
    from webhooks.services import record

    subscription = support.subscription_for(support.partner_of(institution), institution, url)
    delivery = record(subscription, "loan.approved", resource_type="loan", resource_id=1, data={})
    assert delivery is not None
    return delivery


@pytest.fixture
def budget(settings) -> float:
    settings.WEBHOOK_TIMEOUT = BUDGET
    return BUDGET


@pytest.fixture
def stalling(settings, request) -> Iterator[StallingReceiver]:
    with StallingReceiver(*request.param) as receiver:
        support.allow_local_receivers(settings, receiver.server.getsockname()[1])
        yield receiver


TRICKLE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@pytest.mark.parametrize(
    "stalling",
    [pytest.param((b"",), id="accepts-and-never-answers"), pytest.param((TRICKLE,), id="trickles")],
    indirect=True,
)
def test_a_stalling_receiver_is_cut_at_the_budget_and_retried(stalling, budget, institution_a):
    delivery = _delivery_to(stalling.url, institution_a)

    started = time.monotonic()
    outcome = post(delivery)
    elapsed = time.monotonic() - started

    assert stalling.accepted == 1
    assert outcome.status_code is None and outcome.retryable
    assert outcome.error == "No complete answer within 1 seconds."
    # Cut at the budget, not after the receiver's 30 s; generous for a loaded machine.
    assert BUDGET <= elapsed < BUDGET + 2
    assert BUDGET * 1000 <= outcome.duration_ms < (BUDGET + 2) * 1000


@pytest.mark.parametrize("stalling", [pytest.param((TRICKLE, 0.01), id="fast")], indirect=True)
def test_an_answer_within_the_budget_is_an_answer(stalling, budget, institution_a):
    outcome = post(_delivery_to(stalling.url, institution_a))

    assert outcome.delivered and outcome.status_code == 200
    assert outcome.duration_ms < BUDGET * 1000
