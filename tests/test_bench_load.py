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


def test_in_turns_gives_every_other_turn_backwards():
    from bench.load import in_turns

    assert in_turns([200, 20_000], 4) == [200, 20_000, 20_000, 200, 200, 20_000, 20_000, 200]
    assert in_turns([1, 2, 3], 2) == [1, 2, 3, 3, 2, 1]
    assert in_turns([1, 2], 1) == [1, 2]


def test_request_lists_seed_each_size_for_its_turns_and_combine_them(monkeypatch):
    """bench/request_lists.run: the sizes in turns (200, 20k, 20k, 200, …), seeded again only
    when the size changes, every case measured in each turn with a slice of the load and the
    slices combined per case and size; transitions (which change the rows) and the profile
    once, after a size's last turn."""
    from contextlib import contextmanager

    import bench.request_lists as lists
    from bench.load import Load
    from bench.timing import Latencies

    events: list[tuple] = []
    seeded = {"size": None}

    @contextmanager
    def gunicorn(env, workers):
        yield 8000

    def seed(size):
        events.append(("seed", size))
        seeded["size"] = size
        return lists.Actors(token=f"t{size}", session="s", approver_tokens=[])

    def list_cases(size):
        return [("page", f"/p?{size}", "token"), ("deep", f"/d?{size}", "session")]

    def apply_load(port, paths, spec, headers=None):
        size = seeded["size"]
        assert paths[0].endswith(f"?{size}")  # the cases of the data as it is now
        if spec.seconds == 2:  # the warm-up
            return Load(Latencies([9.0]), 0, 1.0)
        events.append(("load", paths[0], spec.seconds))
        return Load(Latencies([size / 1000]), 1, spec.seconds)

    def run_transitions(port, size, actors, count):
        events.append(("transitions", size))
        return lists.CaseResult(Latencies([0.1]), 0, 1.0, name="transitions", size=size)

    monkeypatch.setattr(lists, "gunicorn", gunicorn)
    monkeypatch.setattr(lists, "seed", seed)
    monkeypatch.setattr(lists, "list_cases", list_cases)
    monkeypatch.setattr(lists, "apply_load", apply_load)
    monkeypatch.setattr(lists, "run_transitions", run_transitions)
    monkeypatch.setattr(lists, "profile_list", lambda actors: f"profile of {actors.token}")
    monkeypatch.setattr(lists, "TURNS", 4)

    spec = LoadSpec("wrk", clients=8, requests=400, seconds=20)
    found = lists.run({}, [200, 20_000], spec, workers=5)

    seeds = [event[1] for event in events if event[0] == "seed"]
    assert seeds == [200, 20_000, 200, 20_000, 200]  # A B B A A B B A: no seed between twins
    loads = [event for event in events if event[0] == "load"]
    assert len(loads) == 2 * 4 * 2 and {event[2] for event in loads} == {5.0}
    assert [e for e in events if e[0] == "transitions"] == [
        ("transitions", 20_000),
        ("transitions", 200),
    ]
    assert events[-1] == ("transitions", 200)  # the 200's last turn ends the run
    assert found["profile"] == "profile of t20000"
    by = {(result.name, result.size): result for result in found["lists"]}
    assert [(r.name, r.size) for r in found["lists"]] == [
        ("page", 200),
        ("deep", 200),
        ("page", 20_000),
        ("deep", 20_000),
    ]
    for (_name, size), result in by.items():
        assert len(result.latencies.seconds) == 4
        assert result.latencies.p50 == pytest.approx(size)  # ms
        assert result.errors == 4 and result.seconds == pytest.approx(20.0)
