"""The readers start while the core file is still coming out of the zip (``arriving``).

A thread of the importing process copies the core file and cuts it into spans as the bytes
are written; each span reaches the readers once its bytes are on disk. The spans are the ones
a scan of the whole file gives, the readers are started before the copy, and nothing is
loaded before the copy has ended whole: a damaged member still imports nothing, and an
interruption stops the copy.
"""

from __future__ import annotations

import multiprocessing
import re
import threading
import zipfile
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from collections_app.dwca import readahead, reader, unzip
from collections_app.dwca.errors import ArchiveError, ImportFailed
from collections_app.dwca.readahead import SpanFeed
from collections_app.dwca.reader import open_archive
from collections_app.dwca.spans import batch_spans
from collections_app.models import Specimen

from .dwca_support import import_dwca, occurrence, write_occurrences
from .test_import_dwca_unzip import CORE, rezipped, with_core_crc


@pytest.fixture
def archive(tmp_path) -> Path:
    rows = [occurrence(n, locality=f"Forêt {'é' * (n % 7)}") for n in range(1, 401)]
    return write_occurrences(tmp_path / "a.zip", rows, header_lines=2)


@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED], ids=["deflated", "stored"]
)
def test_each_span_arrives_once_its_bytes_are_on_disk_and_before_the_copy_ends(
    archive, tmp_path, monkeypatch, compression
):
    # Many pieces, read and inflated a little at a time: spans end in the middle of one.
    monkeypatch.setattr(unzip, "CHUNK", 256)
    monkeypatch.setattr(unzip, "PIECE", 512)
    monkeypatch.setattr(reader, "PIECE", 512)
    path = rezipped(archive, tmp_path / "again.zip", compression)
    arrived: list[tuple[object, int]] = []

    with open_archive(path, unpack=False) as opened:
        core = opened.folder / opened.core_name
        size = opened.pending[1].file_size

        def deliver(span):
            arrived.append((span, core.stat().st_size if core.exists() else 0))

        with opened.arriving(30, deliver) as arrival:
            rows = arrival.result()
        whole = batch_spans(core, b"\n", 2, 30)

    spans = [span for span, _written in arrived]
    assert rows == 400
    assert spans == [*whole, None]
    assert all(written >= span.end for span, written in arrived[:-1])
    assert arrived[0][1] < size  # the first span went while the copy was far from done


def test_an_unpacked_folder_is_cut_as_it_is_read(archive, tmp_path):
    folder = tmp_path / "folder"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder)
    arrived = []

    with open_archive(folder, unpack=False) as opened:
        assert opened.pending is None
        with opened.arriving(50, arrived.append) as arrival:
            assert arrival.result() == 400

    assert arrived == [*batch_spans(folder / CORE, b"\n", 2, 50), None]


def test_the_readers_are_started_before_the_copy(collection_a, archive, monkeypatch):
    """A fork copies no thread, so the copy's thread starts after them."""
    seen: list[int] = []
    real = reader.OccurrenceArchive.arriving

    def arriving(self, size, deliver):
        seen.append(len(multiprocessing.active_children()))
        return real(self, size, deliver)

    monkeypatch.setattr(reader.OccurrenceArchive, "arriving", arriving)

    output = import_dwca(archive, collection_a, "--batch-size", "50", "--mappers", "3")

    assert seen == [3]
    assert output.startswith("created 400, updated 0, unchanged 0, rejected 0")


@pytest.mark.parametrize("mappers", ["1", "2"])
@pytest.mark.parametrize(
    "compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED], ids=["deflated", "stored"]
)
def test_a_damaged_member_loads_nothing_though_the_readers_read_it(
    collection_a, archive, tmp_path, monkeypatch, mappers, compression
):
    monkeypatch.setattr(unzip, "CHUNK", 256)
    monkeypatch.setattr(unzip, "PIECE", 512)
    path = rezipped(archive, tmp_path / "damaged.zip", compression)
    with zipfile.ZipFile(path) as opened:
        crc = next(m.CRC for m in opened.infolist() if m.filename.endswith(CORE))
    with_core_crc(path, crc ^ 1)
    handed: list[object] = []
    real = SpanFeed.hand

    def hand(self, span):
        handed.append(span)
        real(self, span)

    monkeypatch.setattr(SpanFeed, "hand", hand)

    with pytest.raises(CommandError, match=re.escape("damaged.zip cannot be unzipped")) as error:
        import_dwca(path, collection_a, "--batch-size", "20", "--mappers", mappers)

    assert "CRC-32" in str(error.value)
    assert not Specimen.objects.exists()
    if mappers == "2":
        assert len(handed) > 1 and None not in handed  # spans went out; never the end


def test_an_interruption_stops_the_copy(archive, monkeypatch):
    """Leaving ``arriving`` early (Ctrl-C in the importing thread) stops the copy at its next
    piece and waits for it: no thread is left writing into the folder about to be removed."""
    release = threading.Event()
    real = reader.member_pieces

    def slow_pieces(*args):
        for piece in real(*args):
            release.wait()
            yield piece

    monkeypatch.setattr(reader, "member_pieces", slow_pieces)
    monkeypatch.setattr(unzip, "CHUNK", 256)

    with open_archive(archive, unpack=False) as opened:
        with pytest.raises(KeyboardInterrupt), opened.arriving(30, lambda span: None) as arrival:
            threading.Timer(0.2, release.set).start()
            raise KeyboardInterrupt
        with pytest.raises(ArchiveError, match="stopped"):
            arrival.result(timeout=0)
        assert not [t for t in threading.enumerate() if t.name.startswith("elvis-dwca-core")]


def test_a_reader_whose_importing_process_is_gone_stops_waiting(monkeypatch):
    feed = SpanFeed(1)
    monkeypatch.setattr(readahead, "POLL_SECONDS", 0.01)
    monkeypatch.setattr(readahead.os, "getpid", lambda: feed.parent + 1)  # a reader…
    monkeypatch.setattr(readahead.os, "getppid", lambda: 1)  # …whose parent is gone
    try:
        with pytest.raises(ImportFailed, match="importing process is gone"):
            next(feed.taken(0))
    finally:
        feed.close()


def test_the_feed_hands_spans_in_turn_and_an_end_to_every_reader():
    feed = SpanFeed(2)
    try:
        for item in ["a", "b", "c", None]:
            feed.hand(item)
        assert list(feed.taken(0)) == ["a", "c"]
        assert list(feed.taken(1)) == ["b"]
    finally:
        feed.close()


def test_the_whole_file_path_copies_first(collection_a, tmp_path, monkeypatch):
    """A quoted archive is read whole by one reader: the copy is complete before it starts."""
    archive = write_occurrences(
        tmp_path / "q.zip", [occurrence(n) for n in range(1, 8)], enclosure='"'
    )
    monkeypatch.setattr(
        reader.OccurrenceArchive, "arriving", lambda *args: pytest.fail("no spans to cut")
    )

    output = import_dwca(archive, collection_a, "--mappers", "2")

    assert output.startswith("created 7,")


@pytest.mark.parametrize("header_lines", [0, 1])
def test_an_archive_without_rows_imports_nothing_with_several_readers(
    collection_a, tmp_path, header_lines
):
    """No span at all: every reader gets only the end, and the import says so."""
    archive = write_occurrences(tmp_path / "empty.zip", [], header_lines=header_lines)

    output = import_dwca(archive, collection_a, "--mappers", "3")

    assert output.startswith("created 0, updated 0, unchanged 0, rejected 0")
    assert not Specimen.objects.exists()
