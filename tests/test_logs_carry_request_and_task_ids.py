"""Log records are JSON lines that say which request (id and client address) or which Celery
task they belong to; the request id is returned in ``X-Request-ID`` and travels with the tasks
the request enqueues."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from celery import shared_task
from celery.signals import before_task_publish, task_postrun, task_prerun
from django_guid import get_guid, set_guid

from elvis.logcontext import REQUEST_ID_HEADER, LogContextFilter

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines(monkeypatch):
    """The JSON objects the console handler writes, as a list that fills up."""
    [console] = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, LogContextFilter) for f in handler.filters)
    ]
    stream = io.StringIO()
    monkeypatch.setattr(console, "stream", stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    return lines


def test_a_request_gets_an_id_returned_in_the_response_and_its_log_records(client, log_lines):
    response = client.get("/no-such-page/", REMOTE_ADDR="192.0.2.4")

    request_id = response["X-Request-ID"]
    [record] = [line for line in log_lines() if line["logger"] == "django.request"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    assert record["message"] == "Not Found: /no-such-page/"
    assert record["level"] == "WARNING"
    assert (record["request_id"], record["client_ip"]) == (request_id, "192.0.2.4")
    assert "timestamp" in record and "task_id" not in record


def test_a_uuid_sent_as_x_request_id_is_kept(client, log_lines):
    sent = str(uuid.uuid4())

    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] == sent
    assert [line["request_id"] for line in log_lines() if line["logger"] == "django.request"] == [
        sent
    ]


def test_an_x_request_id_that_is_no_uuid_is_replaced(client):
    response = client.get("/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")

    assert response.status_code == 200
    assert response["X-Request-ID"] != "<script>alert(1)</script>"
    assert uuid.UUID(response["X-Request-ID"])


def test_behind_a_proxy_the_logs_name_the_client_not_the_proxy(client, settings, log_lines):
    settings.PROXY_COUNT = 1

    client.get("/no-such-page/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert [line["client_ip"] for line in log_lines() if "request_id" in line] == ["198.51.100.7"]


@shared_task(name="tests.log_a_line")
def log_a_line() -> None:
    logging.getLogger("tests.task").info("working")


def test_a_task_log_record_carries_the_task_id_and_name(log_lines):
    result = log_a_line.apply(task_id="3f0c8a56-7d3e-4d5b-9a51-1b2d7a0e4c11")

    [record] = [line for line in log_lines() if line["logger"] == "tests.task"]
    assert record["task_id"] == result.id == "3f0c8a56-7d3e-4d5b-9a51-1b2d7a0e4c11"
    assert record["task_name"] == "tests.log_a_line"


def test_the_request_id_travels_with_a_task_to_the_worker():
    set_guid("a1b2c3d4e5f60718293a4b5c6d7e8f90")
    headers: dict[str, str] = {}
    before_task_publish.send(sender="tests.log_a_line", headers=headers, body=None)
    set_guid(None)
    # In the worker: the message's headers become the task's request.
    log_a_line.push_request(id="t-1", is_eager=False, **headers)
    try:
        task_prerun.send(sender=log_a_line, task_id="t-1", task=log_a_line, args=(), kwargs={})
        during = get_guid()
        task_postrun.send(sender=log_a_line, task_id="t-1", task=log_a_line, args=(), kwargs={})
    finally:
        log_a_line.pop_request()

    assert headers == {REQUEST_ID_HEADER: "a1b2c3d4e5f60718293a4b5c6d7e8f90"}
    assert during == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert get_guid() is None


def test_an_eager_task_keeps_the_id_of_the_request_that_ran_it():
    set_guid("0123456789abcdef0123456789abcdef")
    try:
        log_a_line.apply()
        after = get_guid()
    finally:
        set_guid(None)

    assert after == "0123456789abcdef0123456789abcdef"
