"""Benchmark 3b: the specimens API's requests per second against pgbench running their SQL.

Four requests a partner or the picker makes — a name prefix, the picker's ``q``, a catalogue
number and a deep page by cursor — are made once in-process (Django's test client) to capture
the SQL each runs, literals bound. pgbench then runs those statements, one script per request
in equal shares, from as many clients as the API gets, for ``seconds``: what the database
serves when nothing else is in the way. gunicorn serves the same four requests to the same
clients (``load.apply_load``), the two taking turns in slices, and the ratio API req/s ÷ pgbench
tps is the share of a request's time the database is: 1.0 would be an API that costs nothing
beyond its SQL.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from . import load, serving


@dataclass(frozen=True)
class Throughput:
    api_per_second: float
    pgbench_tps: float
    queries: int  # SQL statements per round of the four requests

    @property
    def ratio(self) -> float:
        return self.api_per_second / self.pgbench_tps


def captured_sql(path: str) -> list[str]:
    """The statements one request to ``path`` runs, as the database received them."""
    with CaptureQueriesContext(connection) as captured:
        response = Client().get(path, HTTP_ACCEPT="application/json")
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code}")
    return [query["sql"] for query in captured.captured_queries]


def pgbench_binary() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))
    if not candidates:
        raise RuntimeError("pgbench not found: install postgresql-contrib (Debian: postgresql)")
    return str(candidates[-1])


def pgbench_tps(conninfo: str, scripts: list[list[str]], clients: int, seconds: int) -> float:
    """Transactions per second of pgbench running ``scripts`` (each a request's statements)."""
    parts = urlsplit(conninfo)
    with tempfile.TemporaryDirectory(prefix="elvis-pgbench-") as folder:
        command = [pgbench_binary(), "--no-vacuum", "-c", str(clients), "-j", "2"]
        command += ["-T", str(seconds)]
        for number, statements in enumerate(scripts):
            script = Path(folder) / f"request{number}.sql"
            script.write_text("".join(f"{statement};\n" for statement in statements))
            command += ["-f", str(script)]
        command += ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
        command += ["-U", parts.username or "postgres", parts.path.lstrip("/")]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    found = re.search(r"tps = ([\d.]+)", done.stdout)
    if not found:
        raise RuntimeError(f"pgbench printed no tps: {done.stdout}{done.stderr}")
    return float(found.group(1))


def measure(
    conninfo: str,
    env: dict[str, str],
    paths: list[str],
    *,
    spec: load.LoadSpec,
    workers: int,
    seconds: int,
) -> Throughput:
    """pgbench and the API in turn, ``serving.ROUNDS`` slices each (pgbench ``seconds``, the
    API ``spec``'s load, in all): the two sides of the ratio meet the same machine, whose
    speed drifts by more than the changes measured (``load.interleaved``)."""
    scripts = [captured_sql(path) for path in paths]
    rounds = serving.ROUNDS
    tps, runs = [], []
    with serving.gunicorn(env, workers) as port:
        load.apply_load(port, paths, spec.warm_up())
        for _round in range(rounds):
            tps.append(pgbench_tps(conninfo, scripts, spec.clients, max(1, seconds // rounds)))
            runs.append(load.apply_load(port, paths, spec.sliced(rounds)))
    api = load.Load.combined(runs)
    if api.errors:
        raise RuntimeError("the API answered errors during the throughput run")
    return Throughput(api.per_second, sum(tps) / len(tps), sum(len(s) for s in scripts))
