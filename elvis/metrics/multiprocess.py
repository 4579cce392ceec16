"""prometheus_client's multiprocess mode across process groups.

Each process group (the gunicorn workers of one web container, one Celery worker and its pool)
writes to its own folder, ``PROMETHEUS_MULTIPROC_DIR``, under one shared ``METRICS_DIR``: a
group empties only its own folder when it starts (as prometheus_client requires), and process
ids of different containers never meet in one folder. ``/metrics`` merges every folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead


def own_folder() -> Path | None:
    """This process group's folder, or None when multiprocess mode is off."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


def start_process_group() -> None:
    """Create this group's folder and drop the files of its previous run: counts of processes
    that no longer exist would otherwise add to the new ones forever."""
    folder = own_folder()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)


def process_exited(pid: int) -> None:
    """Drop the live gauges of a process that exited (gunicorn's ``child_exit``)."""
    folder = own_folder()
    if folder is not None:
        mark_process_dead(pid, str(folder))


class MergedFolders:
    """A collector of every process group's metric files under ``root``, merged as one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def collect(self) -> Iterable[Metric]:
        files = sorted(str(path) for path in self.root.glob("**/*.db"))
        return MultiProcessCollector.merge(files, accumulate=True)
