"""``make bench``: the specimen catalogue at museum scale, measured on PostgreSQL.

1. import time for each size, against a bare COPY of the same rows plus CREATE INDEX of the
   same indexes; the re-import of the unchanged archive against the bare COPY; peak memory;
2. p50/p95 of each search shape over random queries, and the ratio to bare SQL;
3. the specimens API at page 1 and a deep page under concurrent clients against gunicorn,
   with the SQL queries per request, and its requests per second against pgbench running the
   same requests' SQL;
4. visit approvals per second under 8 concurrent approvers with zero overbooked days, and the
   curator's month calendar at 10,000 visits (``--only booking`` runs this alone);
5. digitisation: images processed per second against a bare Pillow loop, peak memory on a
   200 MB TIFF master, and the delivery package against a bare zip (``--only digitisation``);
6. the request lists (API by token and by session, the admin's queue) and transitions per
   second at 200 and 20,000 loans, with the 50-row list's profile (``--only requests``).

Benchmarks, not tests: numbers are printed, goals marked, nothing fails on a slow machine.
See bench/README.md for what each number means and how it is measured.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/elvis_bench"
INSTITUTION, COLLECTION = "BENCH", "MIX"  # a collection code of no demo plan: every taxon group
#: Import ÷ (bare COPY + CREATE INDEX), re-import ÷ bare COPY, API req/s ÷ pgbench tps (issue #13).
GOAL_IMPORT_RATIO, GOAL_REIMPORT_RATIO, GOAL_API_RATIO = 1.25, 3.0, 0.2
GOAL_PEAK_MB, GOAL_SEARCH_P95_MS = 300, 50


def bench_environment(url: str, data_dir: Path) -> dict[str, str]:
    """The settings the benchmark runs with, here and in the processes it starts."""
    return {
        "STATIC_ROOT": str(data_dir / "static"),
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "elvis.settings",
        "DATABASE_URL": url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "THROTTLE_ANON": "10000000/minute",
        "THROTTLE_USER": "10000000/minute",
        "THROTTLE_TOKEN": "10000000/minute",
        "LOG_LEVEL": "WARNING",
    }


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def compile_app() -> None:
    """The app's bytecode, as the production image compiles it at build (Dockerfile): the
    commands timed here (``import_dwca``, gunicorn's workers) then start as a deployed install
    does, not compiling the app from source because the environment forbids writing it
    (``PYTHONDONTWRITEBYTECODE``)."""
    packages = sorted(str(path) for path in ROOT.iterdir() if (path / "__init__.py").is_file())
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], env=env, check=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--queries", type=int, default=1000, help="random queries per shape")
    parser.add_argument(
        "--requests", type=int, default=400, help="API requests per case (Python load)"
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients")
    parser.add_argument(
        "--load",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="the HTTP load generator: wrk (as issue #13 measured; auto takes it when "
        "installed) or Python threads (bench/load.py)",
    )
    parser.add_argument(
        "--seconds", type=float, default=20, help="how long wrk loads each API case"
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--page", type=int, default=10_000, help="the deep page of the API")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument(
        "--pgbench-seconds", type=int, default=20, help="how long pgbench runs the API's SQL"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument(
        "--skip-import",
        action="store_true",
        help="measure search and API on the specimens already in the database",
    )
    parser.add_argument(
        "--only",
        choices=("all", "catalogue", "booking", "digitisation", "requests"),
        default="all",
        help="run only the catalogue sections (1–3), the visit booking section (4), the "
        "digitisation section (5) or the request lists and transitions (6)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 50,000 rows, 200 queries per shape, 80 requests (or 3 s) per API case, "
        "40 images of 2000×1500 and a package of 50",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.queries, args.requests, args.pgbench_seconds = [50_000], 200, 80, 5
        args.seconds = 3
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    (args.data_dir / "static").mkdir(parents=True, exist_ok=True)
    env = bench_environment(args.database_url, args.data_dir)
    os.environ.update(env)
    ensure_database(args.database_url)
    compile_app()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    subprocess.run(  # the calendar page is rendered in-process with the manifest storage
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    import django

    django.setup()
    from bench import report

    if args.only in ("all", "catalogue"):
        imports = (
            [] if args.skip_import else report.import_section(args, env, INSTITUTION, COLLECTION)
        )
        shapes = report.search_section(args)
        api = report.api_section(args, env)
        throughput = report.throughput_section(args, env)
        report.summary(
            imports,
            shapes,
            api,
            GOAL_IMPORT_RATIO,
            GOAL_REIMPORT_RATIO,
            GOAL_PEAK_MB,
            GOAL_SEARCH_P95_MS,
            throughput,
            GOAL_API_RATIO,
        )
    if args.only in ("all", "booking"):
        report.booking_section(args)
    if args.only in ("all", "digitisation"):
        report.digitisation_section(args)
    if args.only in ("all", "requests"):
        report.requests_section(args, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
