"""Bounded load of real loan activity through the API during ``make faults``.

Each client (a thread) walks loans through their life as a researcher and a partner system do:
the researcher creates a loan and submits it, the partner's system (an API client of the
institution) lists its queue, starts the review, comments and approves. Every POST carries an
``Idempotency-Key`` and is retried with the same key after a 5xx or no answer, as the partner
guide tells clients to; every call is recorded (``fault_reconcile.Call``). A client pauses
between calls, so the load stays bounded whatever the fault does to response times.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .fault_reconcile import Call

#: Seconds a client waits for an answer: beyond gunicorn's 30 s worker timeout.
TIMEOUT = 45.0
#: Waits before the retries of a POST that got a 5xx or nothing (the same Idempotency-Key).
RETRY_WAITS = (1.0, 2.0, 4.0)


@dataclass(frozen=True)
class Answer:
    status: int | None
    body: Any
    replayed: bool


def request(
    base: str, method: str, path: str, *, token: str, body: Any = None, key: str | None = None
) -> Answer:
    """One HTTP request on a new connection (gunicorn's sync workers close them anyway)."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=TIMEOUT)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if key:
        headers["Idempotency-Key"] = key
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException):
        return Answer(None, None, False)
    finally:
        connection.close()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return Answer(response.status, parsed, response.getheader("Idempotent-Replayed") == "true")


@dataclass(frozen=True)
class Actors:
    base: str
    researcher: str  # token of the demo researcher
    partner: str  # token of the institution's API client
    institution: int
    collections: list[int]


class Load:
    """``clients`` threads of loan activity until ``stop``; ``calls`` is what they did."""

    def __init__(self, actors: Actors, clients: int, pause: float) -> None:
        self.actors, self.pause = actors, pause
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(clients)
        ]

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Ask the clients to stop after their current loan, and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _client(self, number: int) -> None:
        while not self._stop.is_set():
            self._one_loan(number)

    def _one_loan(self, number: int) -> None:
        a = self.actors
        today = dt.date.today()
        created = self._post(
            "create",
            "/api/v1/loan-requests/",
            a.researcher,
            {
                "institution": a.institution,
                "collections": a.collections[:1],
                "title": f"Fault benchmark loan (client {number})",
                "purpose": "Morphological revision; the fault benchmark's load.",
                "requested_start": (today + dt.timedelta(days=30)).isoformat(),
                "requested_end": (today + dt.timedelta(days=120)).isoformat(),
                "borrower_institution": "University of Oslo, Natural History Museum",
                "shipping_address": "Sars gate 1, 0562 Oslo, Norway",
                "items": [{"description": "12 unsorted Carabidae, drawer 7", "quantity": 12}],
            },
        )
        if created is None or not isinstance(created.body, dict) or "id" not in created.body:
            return
        loan = int(created.body["id"])
        path = f"/api/v1/loan-requests/{loan}"
        steps: list[tuple[str, str, str, dict[str, Any]]] = [
            ("submit", f"{path}/submit/", a.researcher, {"comment": "Please consider."}),
            ("start_review", f"{path}/start_review/", a.partner, {"comment": "Looking."}),
            ("comment", f"{path}/comments/", a.partner, {"body": "Which drawer exactly?"}),
            ("approve", f"{path}/approve/", a.partner, {"comment": "Approved."}),
        ]
        for name, url, token, body in steps:
            if self._stop.is_set():
                return  # the op under way was finished (with its retries): enough to reconcile
            if name == "comment":
                self._get(a.partner, "/api/v1/loan-requests/?status=under_review")
            action = "" if name == "comment" else name
            answer = self._post(name, url, token, body, action=action, loan=loan)
            if answer is None or answer.status is None or not 200 <= answer.status < 300:
                return  # the loan is left where it stands; the next one starts

    def _get(self, token: str, path: str) -> None:
        started = time.monotonic()
        answer = request(self.actors.base, "GET", path, token=token)
        self._record(Call("list", started, time.monotonic(), answer.status))
        time.sleep(self.pause)

    def _post(
        self, name: str, path: str, token: str, body: Any, *, action: str = "",
        loan: int | None = None,
    ) -> Answer | None:  # fmt: skip
        """POST with a new Idempotency-Key, retried with it while the answer is a 5xx or none."""
        key = f"faults-{uuid.uuid4()}"
        op = f"{name}:{key}"
        answer = None
        for wait in (*RETRY_WAITS, None):
            started = time.monotonic()
            answer = request(self.actors.base, "POST", path, token=token, body=body, key=key)
            ended = time.monotonic()
            if loan is None and isinstance(answer.body, dict) and "id" in answer.body:
                loan_id = int(answer.body["id"])
            else:
                loan_id = loan
            self._record(Call(op, started, ended, answer.status, action, loan_id, answer.replayed))
            time.sleep(self.pause)
            if answer.status is not None and answer.status < 500:
                break
            if wait is not None:
                time.sleep(wait)
        return answer

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
