"""Memory stays flat whatever the archive size: rows stream, and only one batch is held."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench.make_dwca import ArchiveSpec, make_archive
from collections_app.dwca.mapping import TERMS
from collections_app.dwca.reader import open_archive

from .dwca_support import import_dwca


def peak_memory(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def archive_of(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / f"{rows}.zip"
    make_archive(path, ArchiveSpec(rows=rows, institution_code="INSTA"))
    return path


def test_reading_ten_times_more_rows_takes_no_more_memory(tmp_path):
    def read_all(path: Path) -> Callable[[], object]:
        def read() -> int:
            with open_archive(path) as archive:
                return sum(1 for _row in archive.rows(TERMS))

        return read

    small, large = archive_of(tmp_path, 1_000), archive_of(tmp_path, 10_000)

    assert peak_memory(read_all(large)) < 1.5 * peak_memory(read_all(small))


def test_reading_ten_times_more_rows_in_a_span_takes_no_more_memory(tmp_path):
    """A byte range of the file streams too, however many rows it holds."""

    def read_all(path: Path) -> Callable[[], object]:
        def read() -> int:
            with open_archive(path) as archive:
                spans = archive.spans(100_000)  # one span: the whole file
                assert spans is not None
                return sum(1 for span in spans for _row in archive.rows(TERMS, span))

        return read

    small, large = archive_of(tmp_path, 1_000), archive_of(tmp_path, 10_000)

    assert peak_memory(read_all(large)) < 1.5 * peak_memory(read_all(small))


def test_importing_ten_times_more_rows_takes_no_more_memory(collection_a, collection_b, tmp_path):
    small, large = archive_of(tmp_path, 1_000), archive_of(tmp_path, 10_000)

    peak_small = peak_memory(lambda: import_dwca(small, collection_a, "--batch-size", "500"))
    peak_large = peak_memory(
        lambda: import_dwca(large, collection_b, "--batch-size", "500", "--ignore-codes")
    )

    assert peak_large < 1.5 * peak_small
