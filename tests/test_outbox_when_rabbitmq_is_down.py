"""The outbox on RabbitMQ: a row the broker cannot take stays for the sweeper, as on Redis
(``integration/test_rabbitmq_worker.py`` shows the live case)."""

from __future__ import annotations

from celery import Celery

from elvis import outbox

DEAD_RABBITMQ = "amqp://guest:guest@127.0.0.1:1//"  # nothing listens on port 1


def test_rows_rabbitmq_refuses_are_not_marked_enqueued_and_nothing_raises(caplog):
    # max_retries 0: kombu's own reconnection attempts (6 s per message) would only slow this.
    app = Celery(
        broker=DEAD_RABBITMQ, set_as_current=False, broker_transport_options={"max_retries": 0}
    )

    @app.task(name="tests.outbox.deliver")
    def deliver(pk: int) -> None:
        """Never runs: the broker is down."""

    marked: list[int] = []
    outbox.enqueue(deliver, [1, 2], mark_enqueued=marked.append)

    assert marked == []
    # One line for the batch: the second row is not tried once the broker refused the first.
    assert caplog.text.count("2 row(s) not enqueued, from 1") == 1
    assert caplog.text.count("Connection refused); the sweeper will retry") == 1
    app.close()
