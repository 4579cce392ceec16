"""The fault proxy the fault-tolerance tests rely on does what it says: relays, cuts, resets
and delays — or those tests would prove nothing."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.fault_proxy import FaultProxy


@pytest.fixture
def echo_port() -> Iterator[int]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        # The proxy resets this side too when it resets a connection.
        with conn, contextlib.suppress(ConnectionError):
            while data := conn.recv(1024):
                conn.sendall(data)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def roundtrip(port: int, payload: bytes = b"ping") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        return s.recv(1024)


def test_relays_and_recovers_after_a_cut(echo_port: int) -> None:
    with FaultProxy("127.0.0.1", echo_port) as proxy:
        assert roundtrip(proxy.port) == b"ping"
        proxy.cut()
        with pytest.raises(OSError):
            # Accepted by the kernel, then closed at once: the read fails or returns nothing.
            if roundtrip(proxy.port) == b"":
                raise ConnectionResetError
        proxy.restore()
        assert roundtrip(proxy.port, b"back") == b"back"


def test_reset_breaks_open_connections_only(echo_port: int) -> None:
    with FaultProxy("127.0.0.1", echo_port) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s:
            s.sendall(b"a")
            assert s.recv(10) == b"a"
            proxy.reset()
            with pytest.raises(OSError):
                s.sendall(b"b")
                if s.recv(10) == b"":
                    raise ConnectionResetError
        assert roundtrip(proxy.port, b"new") == b"new"


def test_delay_adds_latency(echo_port: int) -> None:
    with FaultProxy("127.0.0.1", echo_port) as proxy:
        proxy.delay(0.3)
        started = time.monotonic()
        assert roundtrip(proxy.port) == b"ping"
        # Two relayed chunks (there and back), each held for the delay.
        assert time.monotonic() - started >= 0.6
