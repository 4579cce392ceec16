"""An import run: archive rows to mapped batches, each batch committed on its own.

Reader processes (``readahead``) read, map and prepare the batches for the database's loader
while this process loads the one before, so memory holds a few batches at most. An unquoted
archive is cut into byte ranges of one batch each (``spans``) and mapped by ``mappers``
processes at once, since the mapping, not the database, bound a single reader's import;
they start before the core file is even out of the zip, taking each span as soon as its bytes
are written (``OccurrenceArchive.arriving``), and the loading waits for the copy to end whole.
A quoted archive, where a line break may sit inside a value, is copied out first and read
whole by one process. Either way the batches are the same rows, loaded in the archive's
order. Each
batch is one transaction: an interruption (Ctrl-C, kill, a crash) rolls back the batch in
progress only, so the catalogue holds whole batches, and since a batch's upsert is idempotent a
re-run of the same command finishes the job. Rejected rows are written to the CSV after their
batch commits, so it matches what is in the catalogue. Around the batches, large loads on
PostgreSQL rebuild the search indexes instead of keeping them live (``indexes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.management.base import OutputWrapper
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from collections_app.models import Collection

from .errors import ArchiveError
from .indexes import IndexMode, IndexReport, search_indexes_for_load, should_defer
from .loaders import Loader, loader_for
from .mapping import CATALOG_NUMBER, TERMS, MappedBatch, Rejection, RowMapper
from .progress import Progress
from .readahead import SpanFeed, readers
from .reader import OccurrenceArchive, open_archive
from .report import ImportTotals, RejectsFile, open_rejects
from .spans import Span

BATCH_SIZE = 50_000


@dataclass(frozen=True)
class PreparedBatch:
    """A batch as the reader process hands it over: its records as the loader takes them."""

    records: Sized
    rejections: list[Rejection]
    rows: int
    last_line: int


class ImportRun:
    """One ``import_dwca``: ``totals`` and ``rejects_path`` stay readable after it stops."""

    def __init__(
        self,
        path: Path,
        collection: Collection,
        *,
        check_codes: bool = True,
        batch_size: int = BATCH_SIZE,
        rejects: Path | None = None,
        progress: OutputWrapper | None = None,
        indexes: IndexMode = IndexMode.AUTO,
        mappers: int | None = None,
    ) -> None:
        self.path = path
        self.collection = collection
        self.check_codes = check_codes
        self.batch_size = batch_size
        self.requested_rejects = rejects
        self.progress_stream = progress
        self.index_mode = indexes
        self.mappers = mappers or settings.DWCA_IMPORT_MAPPERS
        self.totals = ImportTotals()
        self.indexes = IndexReport()
        self.rejects_path: Path | None = None

    def execute(self) -> None:
        with open_archive(self.path, unpack=False) as archive:
            if not archive.has_term(CATALOG_NUMBER):
                raise ArchiveError(
                    _("%(file)s has no catalogNumber column; specimens are keyed on it.")
                    % {"file": archive.core_name}
                )
            with open_rejects(self.requested_rejects, self.path) as rejects:
                self.rejects_path = rejects.path
                self._load(archive, rejects)

    def _load(self, archive: OccurrenceArchive, rejects: RejectsFile) -> None:
        mapper = RowMapper(
            self.collection,
            check_codes=self.check_codes,
            encoding=archive.descriptor.file_encoding.removesuffix("-sig"),
        )
        with loader_for(self.collection) as loader:
            prepared = partial(self._prepared, archive, mapper, loader)
            if self.mappers > 1 and archive.splittable:
                feed = SpanFeed(self.mappers)
                try:
                    producers = [partial(prepared, feed.taken(n)) for n in range(self.mappers)]
                    # The readers first, then the copy's thread: a fork copies no thread.
                    with (
                        readers(*producers) as batches,
                        archive.arriving(self.batch_size, feed.hand) as arrival,
                    ):
                        self._load_batches(batches, arrival.result(), loader, rejects)
                finally:
                    feed.close()
                return
            archive.unpack()
            rows = None
            if self.progress_stream is not None or self.index_mode is not IndexMode.KEEP:
                rows = archive.count_rows()
            with readers(partial(prepared, None)) as batches:
                self._load_batches(batches, rows, loader, rejects)

    def _prepared(
        self,
        archive: OccurrenceArchive,
        mapper: RowMapper,
        loader: Loader,
        spans: Iterable[Span] | None,
    ) -> Iterator[PreparedBatch]:
        """A reader's batches: of ``spans`` as they come, or of the whole archive (None)."""
        try:
            for span in [None] if spans is None else spans:
                for batch in batches(archive.rows(TERMS, span), mapper, self.batch_size):
                    yield PreparedBatch(
                        loader.prepare(batch), batch.rejections, batch.rows, batch.last_line
                    )
        finally:
            loader.done_reading()

    def _load_batches(
        self,
        prepared: Iterator[PreparedBatch],
        rows: int | None,
        loader: Loader,
        rejects: RejectsFile,
    ) -> None:
        """Load the readers' batches in the archive's order, once the archive is whole (its
        ``rows`` counted: None when nothing needs them), around the search indexes' drop and
        rebuild where the load is large enough."""
        progress = Progress(self.progress_stream, rows) if self.progress_stream else None
        defer = should_defer(self.index_mode, self.collection, rows or 0)
        announce = self.progress_stream.write if self.progress_stream else None
        with search_indexes_for_load(defer, announce) as self.indexes:
            try:
                for batch in prepared:
                    with transaction.atomic():
                        outcome = loader.load(batch.records)
                    rejected = [*batch.rejections, *outcome.duplicates]
                    self.totals.add(batch.rows, batch.last_line, outcome, len(rejected))
                    rejects.write(rejected)
                    if progress:
                        progress.update(self.totals.rows)
            finally:
                if progress:
                    progress.finish(self.totals.rows)


def batches(
    rows: Iterable[tuple[int, Sequence[str]]], mapper: RowMapper, size: int
) -> Iterator[MappedBatch]:
    """The rows mapped, ``size`` rows a batch: the mapping rejects a catalogue number repeated
    within the batch, the loader one repeated from an earlier batch."""
    rows = iter(rows)
    while True:
        batch = MappedBatch()
        mapper.map_rows(islice(rows, size), batch)
        if not batch.rows:
            return
        yield batch
