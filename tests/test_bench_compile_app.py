"""The benchmark times the app's commands as a deployed install starts them: compiled."""

from __future__ import annotations

import subprocess
import sys

from bench import run_bench


def test_the_benchmark_compiles_every_package_of_the_app_even_where_bytecode_is_forbidden(
    monkeypatch,
):
    ran: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setattr(subprocess, "run", lambda command, env, check: ran.append((command, env)))

    run_bench.compile_app()

    [(command, env)] = ran
    assert command[:4] == [sys.executable, "-m", "compileall", "-q"]
    packages = {path.rsplit("/", 1)[-1] for path in command[4:]}
    assert {"elvis", "collections_app", "loans", "visits", "virtual_access"} <= packages
    assert ".venv" not in packages
    assert "PYTHONDONTWRITEBYTECODE" not in env
