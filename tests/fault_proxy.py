"""A TCP proxy a test (or ``make faults``) controls, to put faults between the app and a service.

The fault-tolerance tests and the fault benchmark point the app at this proxy instead of at
PostgreSQL, Redis or a webhook receiver, then cut, reset or slow the path — never the machine's
own services, which other processes share. Each accepted connection is relayed to the upstream
by two threads (one per direction).

- ``cut()``: new connections are refused (closed at once) and open ones are closed, as when the
  service's host goes away; ``restore()`` undoes it.
- ``reset()``: every open connection is closed with an RST (SO_LINGER 0) once; new connections
  work, as when a database restarts or a NAT drops its state.
- ``delay(seconds)``: every chunk relayed in either direction waits that long first (latency).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from types import TracebackType


class FaultProxy:
    """Listen on 127.0.0.1 (``port``; 0 picks a free one) and relay to ``upstream``."""

    def __init__(self, upstream_host: str, upstream_port: int, *, port: int = 0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._cut = False
        self._delay = 0.0
        self._stopped = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self.connections_accepted = 0

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._acceptor.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._acceptor.join(timeout=2)
        self._listener.close()
        self._close_all(rst=False)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- faults ---------------------------------------------------------------------------

    def cut(self) -> None:
        """The service is unreachable: refuse new connections and drop the open ones."""
        with self._lock:
            self._cut = True
        self._close_all(rst=True)

    def restore(self) -> None:
        """Undo ``cut`` and ``delay``."""
        with self._lock:
            self._cut = False
            self._delay = 0.0

    def reset(self) -> None:
        """Reset every open connection once (RST); new connections are relayed as before."""
        self._close_all(rst=True)

    def delay(self, seconds: float) -> None:
        """Add ``seconds`` of latency to every relayed chunk, in both directions."""
        with self._lock:
            self._delay = seconds

    # -- relaying -------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                refuse = self._cut
            if refuse:
                _abort(client)
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _abort(client)
                continue
            upstream.settimeout(None)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._pairs.append((client, upstream))
                self.connections_accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self._lock:
                    delay = self._delay
                if delay:
                    time.sleep(delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._forget(src, dst)

    def _forget(self, a: socket.socket, b: socket.socket) -> None:
        with self._lock:
            self._pairs = [p for p in self._pairs if a not in p and b not in p]
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _close_all(self, *, rst: bool) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                if rst:
                    _abort(s)
                else:
                    s.close()


def _abort(sock: socket.socket) -> None:
    """Close with an RST rather than a FIN: the peer sees 'connection reset'."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Wakes the relay thread blocked in recv() without sending a FIN; close() sends the RST.
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    sock.close()
