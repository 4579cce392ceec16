"""The benchmarks' load generators (bench/load.py): wrk's report is read back into every latency
and the failed answers, and the Python generator sends each path the asked number of times and
counts what was not 2xx — the numbers `make bench` judges the request goals by."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.load import LoadSpec, _parse_wrk, apply_load

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8000
  2 threads and 8 connections
  Latency   Distribution ...
  151 requests in 3.00s, 1.20MB read
Requests/sec:     50.29
ELVIS 3002500 151 2 1
LAT 41000 1
LAT 52000 148
LAT 980000 2
"""


def test_wrk_output_gives_every_latency_the_failures_and_the_duration():
    run = _parse_wrk(WRK_OUTPUT)
    assert len(run.latencies.seconds) == 151
    assert run.latencies.p50 == pytest.approx(52.0)
    assert run.latencies.percentile(100) == pytest.approx(980.0)
    assert run.errors == 3  # two non-2xx answers and one socket error
    assert run.seconds == pytest.approx(3.0025)
    assert run.per_second == pytest.approx(151 / 3.0025)


def test_wrk_output_without_its_summary_is_an_error_not_an_empty_run():
    with pytest.raises(RuntimeError, match="no summary"):
        _parse_wrk("unable to connect to 127.0.0.1:8000 Connection refused\n")


@pytest.fixture
def server() -> Iterator[tuple[int, Counter]]:
    """A local server answering 200, except 404 on /missing; counts the paths it was asked."""
    asked: Counter = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked[(self.path, self.headers.get("Authorization"))] += 1
            self.send_response(404 if self.path == "/missing" else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], asked
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_python_threads_send_each_path_the_asked_times_with_the_headers(server):
    port, asked = server
    spec = LoadSpec("python", clients=3, requests=5, seconds=1)
    run = apply_load(port, ["/a", "/missing"], spec, {"Authorization": "Token t"})
    assert asked == {("/a", "Token t"): 5, ("/missing", "Token t"): 5}
    assert len(run.latencies.seconds) == 10
    assert run.errors == 5
    assert run.seconds > 0 and run.per_second > 0


def test_interleaved_cases_take_turns_and_each_gets_its_whole_load(server, monkeypatch):
    """Three rounds of two cases: A B, A B, A B; each case's runs combined into one (every
    latency, every error, all the seconds), each slice a third of the load."""
    import bench.load as load

    port, asked = server
    order = []
    original = load.apply_load

    def recorded(port, paths, spec, headers=None):
        order.append((tuple(paths), spec.requests))
        return original(port, paths, spec, headers)

    monkeypatch.setattr(load, "apply_load", recorded)
    spec = LoadSpec("python", clients=2, requests=6, seconds=3)
    first, second = load.interleaved(port, [["/a"], ["/missing"]], spec, rounds=3)
    assert order == [(("/a",), 2), (("/missing",), 2)] * 3
    assert asked == {("/a", None): 6, ("/missing", None): 6}
    assert len(first.latencies.seconds) == len(second.latencies.seconds) == 6
    assert (first.errors, second.errors) == (0, 6)
    assert spec.sliced(3).seconds == pytest.approx(1.0)
