"""What ELViS sends during ``make faults``, received and counted: an SMTP sink (aiosmtpd) that
notes the notification each message names, and a webhook receiver that notes each POST's event
id and can be told to answer 500 or to hang, as a partner's receiver does on a bad day."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from notifications.tasks import NOTIFICATION_HEADER

from .fault_reconcile import Post

# aiosmtpd logs every SMTP command at INFO: the benchmark's output is its tables.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class SmtpSink:
    """Accepts every message; remembers the notification id each one names (None: none)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals: list[tuple[float, int | None]] = []
        # A port picked beforehand: aiosmtpd checks it is up by connecting to the port it got.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: one message (one notification's e-mail, to its one recipient)."""
        message = message_from_bytes(envelope.content, policy=default_policy)
        named = message.get(NOTIFICATION_HEADER)
        pk = int(named) if named and str(named).isdigit() else None
        with self._lock:
            self._arrivals.append((time.monotonic(), pk))
        return "250 OK"

    def arrived(self) -> list[int | None]:
        with self._lock:
            return [pk for _at, pk in self._arrivals]


class WebhookReceiver:
    """A partner's endpoint on 127.0.0.1. ``mode``: ``ok`` answers 200; ``fail`` answers 500;
    ``hang`` keeps the connection without answering until the mode changes, then closes it."""

    def __init__(self) -> None:
        receiver = self
        self._lock = threading.Lock()
        self._posts: list[Post] = []
        self._mode = "ok"
        self._changed = threading.Condition(self._lock)
        #: Called once, right after the next POST was answered 2xx (then forgotten).
        self.after_next_accept: Callable[[], object] | None = None

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._answer(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per POST would drown the benchmark's output

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.set_mode("ok")
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def set_mode(self, mode: str) -> None:
        with self._changed:
            self._mode = mode
            self._changed.notify_all()

    def _answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = {}
        data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
        with self._changed:
            mode = self._mode
            if mode == "hang":
                self._changed.wait_for(lambda: self._mode != "hang")
        accepted = mode == "ok"
        if mode != "hang":
            handler.send_response(200 if accepted else 500)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        handler.close_connection = True
        with self._lock:
            self._posts.append(
                Post(
                    event_id=handler.headers.get("webhook-id", ""),
                    event=str(envelope.get("event", "")),
                    resource=data.get("id"),
                    accepted=accepted,
                )
            )
            callback, self.after_next_accept = self.after_next_accept, None
        if accepted and callback is not None:
            handler.wfile.flush()
            callback()

    def posts(self) -> list[Post]:
        with self._lock:
            return list(self._posts)
