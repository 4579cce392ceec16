"""The load generators the HTTP benchmarks share: wrk when it is installed, else Python threads.

Issue #13 measured the API with wrk (8 connections, 20 s). On this 2-CPU machine the load
generator shares the CPUs with gunicorn, so its own cost is part of every number: wrk (C,
epoll) spends little, while the Python generator (threads + ``http.client``, a new connection
per request) spends a large share of a CPU and holds the GIL, so it understates what the server
serves. ``--load auto`` (the default) takes wrk when ``wrk`` is on the PATH (Debian: ``apt-get
install wrk``), and the report names the generator used; ``--load python`` keeps the old one for
comparison with earlier runs.

wrk runs for a duration; the Python generator sends a count of requests. ``LoadSpec`` carries
both, and each run reports what it really did: requests answered, non-2xx answers, seconds.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from .timing import Latencies

#: wrk's Lua hooks: send the paths in turn, and print the counts and every latency (µs, with
#: how many requests took it) for ``_parse_wrk`` — wrk's own report rounds its percentiles.
WRK_SCRIPT = """
local paths = {%(paths)s}
local next_path = 0
wrk.headers = {%(headers)s}
request = function()
  next_path = next_path %% #paths + 1
  return wrk.format("GET", paths[next_path])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write("ELVIS ", summary.duration, " ", summary.requests, " ", e.status, " ",
           e.connect + e.read + e.write + e.timeout, "\\n")
  for i = 1, #latency do
    local value, count = latency(i)
    io.write("LAT ", value, " ", count, "\\n")
  end
end
"""


@dataclass(frozen=True)
class LoadSpec:
    """How hard and how long: ``clients`` connections, then ``seconds`` of wrk or ``requests``
    of each path from the Python threads."""

    generator: str  # "wrk" or "python"
    clients: int
    requests: int
    seconds: float

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> LoadSpec:
        generator = args.load
        if generator == "auto":
            generator = "wrk" if shutil.which("wrk") else "python"
        if generator == "wrk" and not shutil.which("wrk"):
            raise SystemExit("--load wrk: wrk is not installed (Debian: apt-get install wrk)")
        return cls(generator, args.clients, args.requests, args.seconds)

    def describe(self) -> str:
        if self.generator == "wrk":
            return f"wrk, {self.clients} connections, {self.seconds:g} s per case"
        return f"Python threads + http.client, {self.clients} clients, {self.requests} requests"

    def sliced(self, rounds: int) -> LoadSpec:
        """One of ``rounds`` equal slices of this load (``interleaved``)."""
        return LoadSpec(
            self.generator, self.clients, -(-self.requests // rounds), self.seconds / rounds
        )

    def warm_up(self) -> LoadSpec:
        """A short run that reaches every gunicorn worker before a measured one."""
        return LoadSpec(self.generator, self.clients, 2 * self.clients, min(self.seconds, 2))


@dataclass
class Load:
    """What one run did: the latencies of the answers, the failed ones, and its wall time."""

    latencies: Latencies
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return len(self.latencies.seconds) / self.seconds if self.seconds else 0.0

    @classmethod
    def combined(cls, runs: list[Load]) -> Load:
        """Several runs of one case as one: every latency, every error, all their time."""
        latencies = Latencies([sample for run in runs for sample in run.latencies.seconds])
        return cls(latencies, sum(run.errors for run in runs), sum(run.seconds for run in runs))


def apply_load(
    port: int, paths: list[str], spec: LoadSpec, headers: dict[str, str] | None = None
) -> Load:
    """GETs of ``paths`` in turn against 127.0.0.1:``port`` as ``spec`` says. ``headers``
    replace the default ``Accept: application/json`` (e.g. to add credentials)."""
    headers = headers or {"Accept": "application/json"}
    if spec.generator == "wrk":
        return _wrk(port, paths, spec, headers)
    return _threads(port, paths, spec, headers)


def interleaved(
    port: int,
    cases: list[list[str]],
    spec: LoadSpec,
    rounds: int,
    headers: dict[str, str] | None = None,
) -> list[Load]:
    """Each case's load (its paths in turn) given in ``rounds`` slices, the cases taken in
    turn (A B C, A B C, …), so that cases compared with each other meet the same machine.

    On a shared machine whose speed drifts by a third within minutes, one 20 s run per case
    after the other measured the drift between them as often as the cases: a deep page
    "slower" than page 2 by 20 % in one run and faster in the next (bench/README.md). Each
    case still gets ``spec``'s whole load, in slices."""
    runs: list[list[Load]] = [[] for _ in cases]
    for _round in range(rounds):
        for found, paths in zip(runs, cases, strict=True):
            found.append(apply_load(port, paths, spec.sliced(rounds), headers))
    return [Load.combined(found) for found in runs]


def in_turns(items: list[int], turns: int) -> list[int]:
    """``items`` ``turns`` times over, every other turn backwards (A B, B A, A B, …): whatever
    drifts steadily through a run falls on each item alike, where A B, A B would give the
    later item more of it. Items measured in separate states of the data (``request_lists``:
    200 loans, then 20,000) are compared this way, each state set up again for its turn."""
    order: list[int] = []
    for turn in range(turns):
        order += items if turn % 2 == 0 else items[::-1]
    return order


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrk(port: int, paths: list[str], spec: LoadSpec, headers: dict[str, str]) -> Load:
    script = WRK_SCRIPT % {
        "paths": ", ".join(_lua_string(path) for path in paths),
        "headers": ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()),
    }
    with tempfile.TemporaryDirectory(prefix="elvis-wrk-") as folder:
        lua = Path(folder) / "load.lua"
        lua.write_text(script)
        done = subprocess.run(
            ["wrk", "-t", str(min(2, spec.clients)), "-c", str(spec.clients),
             "-d", f"{spec.seconds:g}s", "--timeout", "60s", "-s", str(lua),
             f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    return _parse_wrk(done.stdout)


def _parse_wrk(output: str) -> Load:
    latencies, summary = Latencies(), None
    for line in output.splitlines():
        if line.startswith("ELVIS "):
            summary = [int(part) for part in line.split()[1:]]
        elif line.startswith("LAT "):
            value, count = (int(part) for part in line.split()[1:])
            latencies.seconds.extend([value / 1e6] * count)
    if summary is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    duration_us, _requests, status_errors, socket_errors = summary
    return Load(latencies, status_errors + socket_errors, duration_us / 1e6)


def get_status(port: int, path: str, headers: dict[str, str]) -> int:
    """One GET on a new connection; its status (the body is read and dropped)."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        client.request("GET", path, headers=headers)
        response = client.getresponse()
        response.read()
        return response.status
    finally:
        client.close()


def _threads(port: int, paths: list[str], spec: LoadSpec, headers: dict[str, str]) -> Load:
    """``spec.requests`` GETs of each path, in turn, from ``spec.clients`` threads (a new
    connection per request, as gunicorn's sync workers close them)."""
    jobs = deque(path for _ in range(spec.requests) for path in paths)
    latencies, errors, lock = Latencies(), [0], threading.Lock()

    def client() -> None:
        while True:
            try:
                path = jobs.popleft()
            except IndexError:
                return
            started = time.perf_counter()
            status = get_status(port, path, headers)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.add(elapsed)
                errors[0] += not 200 <= status < 300

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(spec.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(latencies, errors[0], time.perf_counter() - started)
