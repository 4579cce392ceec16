"""Progress on stderr: at most once a second, with rows/s and an ETA; a summary on stdout."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper

from bench.make_dwca import ArchiveSpec, make_archive
from collections_app.dwca.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_is_reported_at_most_once_per_interval_with_rate_and_eta():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(OutputWrapper(stream), total=1000, clock=clock)

    for seconds, done in ((0.5, 100), (1.0, 200), (1.5, 300), (2.0, 400)):
        clock.now = 100 + seconds
        progress.update(done)

    assert stream.getvalue().splitlines() == [
        "200 of 1,000 rows (20%), 200 rows/s, ETA 0:00:04",
        "400 of 1,000 rows (40%), 200 rows/s, ETA 0:00:03",
    ]


def test_the_last_report_is_always_shown():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(OutputWrapper(stream), total=None, clock=clock)
    clock.now += 0.25

    progress.finish(50)

    assert stream.getvalue() == "50 rows, 200 rows/s\n"


def test_on_a_terminal_the_line_is_rewritten_in_place():
    terminal, clock = Terminal(), Clock()
    progress = Progress(OutputWrapper(terminal), total=10, clock=clock)
    clock.now += 1
    progress.update(5)
    clock.now += 1

    progress.finish(10)

    assert terminal.getvalue() == (
        "\r5 of 10 rows (50%), 5 rows/s, ETA 0:00:01\x1b[K"
        "\r10 of 10 rows (100%), 5 rows/s, ETA 0:00:00\x1b[K\n"
    )


@pytest.mark.parametrize(("flag", "shown"), [("--progress", True), ("--no-progress", False)])
def test_the_command_reports_progress_on_stderr_when_asked(collection_a, tmp_path, flag, shown):
    archive = tmp_path / "small.zip"
    make_archive(archive, ArchiveSpec(rows=30, institution_code="INSTA"))
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command(
        "import_dwca", str(archive), "--collection=INSTA:ENT", flag, stdout=stdout, stderr=stderr
    )

    assert stdout.getvalue().startswith("created 30, updated 0, unchanged 0, rejected 0")
    assert ("30 of 30 rows (100%)" in stderr.getvalue()) is shown


def test_without_a_terminal_progress_is_off_by_default(collection_a, tmp_path):
    archive = tmp_path / "small.zip"
    make_archive(archive, ArchiveSpec(rows=30, institution_code="INSTA"))
    stderr = io.StringIO()

    call_command(
        "import_dwca", str(archive), "--collection=INSTA:ENT", stdout=io.StringIO(), stderr=stderr
    )

    assert stderr.getvalue() == ""
