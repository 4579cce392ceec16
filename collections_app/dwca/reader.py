"""Reading a Darwin Core Archive: python-dwca-reader interprets meta.xml, rows stream one by one.

The library's ``ArchiveDescriptor`` reads meta.xml (encoding, field and line delimiters, quotes,
``ignoreHeaderLines``, default values) and its ``CSVDataFile.iter_terms`` streams the core file a
row at a time, so memory stays flat whatever the archive size. Only meta.xml and the core file
are taken out of a zip: a GBIF download also holds ``verbatim.txt`` (as big again), multimedia
and one EML file per dataset, none of which the import needs; the copy goes to the temporary
folder (``TMPDIR``). A folder (an archive already unpacked) is read in place.

An unquoted core file can also be read a byte range at a time (``spans``), for several
processes to map it at once: its lines are read as the library reads them (the declared
terminator ends a line, a carriage return before it is dropped, then the line is split on the
delimiter), so a range gives the rows the whole file gives there.

Copying the core file out of the zip and scanning it for the ranges were the import's serial
start, one core busy and the other idle (≈ 0.4 s a million rows on a quick machine, 0.9 s on
a slow one; bench/README.md). ``arriving`` copies it on a thread of the importing process
(the inflating and the writes release the interpreter's lock) and cuts the ranges from the
bytes as it writes them (``SpanCutter``), handing each to the readers once it is on disk; the
readers, started before the thread (a fork copies no thread), map the first batches
meanwhile. The rows are counted, and loading may begin, only once the copy has ended whole.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext_lazy as _
from dwca.descriptors import ArchiveDescriptor, DataFileDescriptor
from dwca.exceptions import InvalidArchive
from dwca.files import CSVDataFile

from .errors import ArchiveError
from .spans import Span, SpanCutter, batch_spans, splittable
from .terms import OCCURRENCE
from .unzip import PIECE, member_pieces

META_XML = "meta.xml"


@dataclass
class OccurrenceArchive:
    """An open archive whose core file holds occurrences (see ``open_archive``). ``pending``:
    the zip and its member holding the core file, until it is copied out into ``folder``
    (``unpack``, or ``arriving`` while the readers start)."""

    path: Path
    folder: Path
    descriptor: DataFileDescriptor
    pending: tuple[zipfile.ZipFile, zipfile.ZipInfo] | None = None

    @property
    def core_name(self) -> str:
        return self.descriptor.file_location

    @cached_property
    def core(self) -> CSVDataFile:
        """The library's reader of the whole core file (closed with the archive)."""
        self.unpack()
        try:
            return CSVDataFile(str(self.folder), self.descriptor)
        except OSError as exc:
            raise _unreadable_core(self.core_name, exc) from exc

    def close(self) -> None:
        if "core" in self.__dict__:
            self.core.close()

    def unpack(self) -> None:
        """The core file copied out of the zip, if it is still in it."""
        if self.pending is not None:
            self._arrive(None, None)

    @contextmanager
    def arriving(self, size: int, deliver: Callable[[Span | None], None]) -> Iterator[Future[int]]:
        """The core file copied out of the zip (or, unpacked, read) on a thread, while the
        caller goes on: each span of ``size`` rows goes to ``deliver`` as soon as its bytes
        are on disk, then ``None``. The future's result is the count of data rows once the
        file is whole, or the ``ArchiveError`` of a damaged one. Leaving early (an
        interruption) stops the copy at its next piece (the module's doc says why)."""
        stop = threading.Event()
        with ThreadPoolExecutor(1, thread_name_prefix="elvis-dwca-core") as thread:
            try:
                cutter = SpanCutter(self._terminator(), self.descriptor.lines_to_ignore, size)
                yield thread.submit(self._arrive, cutter, deliver, stop)
            finally:
                stop.set()

    def _arrive(
        self,
        cutter: SpanCutter | None,
        deliver: Callable[[Span | None], None] | None,
        stop: threading.Event | None = None,
    ) -> int:
        """Copy the core file out of the zip (read it in place if there is none) and cut it
        (``cutter``), giving ``deliver`` each span once its bytes are written; its rows."""
        target = self.folder / self.core_name
        with ExitStack() as stack:
            try:
                if self.pending is None:
                    source = stack.enter_context(target.open("rb"))
                    pieces: Iterator[bytes] = iter(partial(source.read, PIECE), b"")
                    copy = None
                else:
                    pieces = member_pieces(*self.pending)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    copy = stack.enter_context(target.open("wb"))
            except OSError as exc:
                raise _unreadable_core(self.core_name, exc) from exc
            try:
                for piece in pieces:
                    if stop is not None and stop.is_set():
                        raise ArchiveError(_("The archive's copy was stopped."))
                    if copy is not None:
                        copy.write(piece)
                    if cutter and deliver and (spans := cutter.feed(piece)):
                        if copy is not None:
                            copy.flush()  # the readers read the span's bytes from the file
                        for span in spans:
                            deliver(span)
            except UNZIP_ERRORS as exc:
                raise _unzip_error(self.path, exc) from exc
            except OSError as exc:
                if copy is None:
                    raise _unreadable_core(self.core_name, exc) from exc
                raise _no_room(self.core_name, target.parent, exc) from exc
        self.pending = None
        if cutter is None or deliver is None:
            return 0
        for span in cutter.finish():
            deliver(span)
        deliver(None)
        return cutter.rows

    def has_term(self, term: str) -> bool:
        return term in self.descriptor.terms

    def rows(
        self, terms: Sequence[str], span: Span | None = None
    ) -> Iterator[tuple[int, tuple[str, ...]]]:
        """Each data row (of ``span`` only, if given) as (line number in the core file, values
        of ``terms`` in that order).

        A term the archive does not have reads as "" (its meta.xml default when it declares
        one). Line numbers count header lines, as an editor shows them.
        """
        present = [term for term in terms if self.has_term(term)]
        # Missing terms pick the "" appended after the present ones (itemgetter: C speed).
        where = [present.index(term) if term in present else len(present) for term in terms]
        pick = itemgetter(*where) if len(where) > 1 else lambda values: (values[where[0]],)
        complete = len(present) == len(terms)
        # The line before the first row; then the last line read, for errors.
        line = first = self.descriptor.lines_to_ignore if span is None else span.first_line - 1
        try:
            with ExitStack() as stack:
                if span is None:
                    found = self.core.iter_terms(present)
                else:
                    core = stack.enter_context((self.folder / self.core_name).open("rb"))
                    found = self._span_values(span, present, core)
                for line, values in enumerate(found, start=first + 1):
                    if complete:
                        yield line, values
                    else:
                        yield line, pick((*values, ""))
        except (InvalidArchive, IndexError) as exc:  # a row shorter than meta.xml says
            raise ArchiveError(
                _(
                    "Line %(line)d of %(file)s has fewer columns than meta.xml declares "
                    "(a blank or cut-off line?)."
                )
                % {"line": line + 1, "file": self.core_name}
            ) from exc
        except csv.Error as exc:  # an unbalanced quote swallows the rest of the file
            raise ArchiveError(
                _("Line %(line)d of %(file)s cannot be parsed: %(error)s")
                % {"line": line + 1, "file": self.core_name, "error": exc}
            ) from exc

    def spans(self, size: int) -> list[Span] | None:
        """The data rows in byte ranges of ``size`` rows, or None if a line break may sit
        inside a value (a quoted file: ``spans.splittable``)."""
        if not self.splittable:
            return None
        self.unpack()
        path = self.folder / self.core_name
        return batch_spans(path, self._terminator(), self.descriptor.lines_to_ignore, size)

    @property
    def splittable(self) -> bool:
        """Whether the core file can be cut into spans (``spans.splittable``)."""
        return splittable(self.descriptor)

    def _terminator(self) -> bytes:
        descriptor = self.descriptor
        # "-sig" would add the byte-order mark
        return descriptor.lines_terminated_by.encode(descriptor.file_encoding.removesuffix("-sig"))

    def _span_values(
        self, span: Span, present: list[str], core: BinaryIO
    ) -> Iterator[tuple[str, ...]]:
        """The values of ``present`` on each line of ``span``, read as the library reads an
        unquoted file: the declared terminator ends a line, carriage returns before it are
        dropped, the line is split on the delimiter. Every step is a C-level iterator, none a
        Python frame per row; a short line raises ``IndexError`` or ``InvalidArchive``. A row at
        a time, not a block: decoding and splitting a megabyte at once into lists was slower,
        its thousands of new objects no longer in the cache when mapped (bench/README.md).
        """
        descriptor = self.descriptor
        terminator = descriptor.lines_terminated_by
        # A byte-order mark is skipped at the start of the file only, as a whole read does.
        encoding = descriptor.file_encoding
        if span.start:
            encoding = encoding.removesuffix("-sig")
        getter, columns = self._term_getter(present)
        core.seek(span.start)
        text = io.TextIOWrapper(core, encoding=encoding, errors="replace", newline=terminator)
        lines = map(str.rstrip, islice(text, span.rows), repeat(terminator + "\r"))
        # Split no further than the last column read: the rest of the line stays one string.
        separator = descriptor.fields_terminated_by
        return map(getter, map(str.split, lines, repeat(separator), repeat(columns)))

    def _term_getter(self, present: list[str]) -> tuple[Callable[[list[str]], Any], int]:
        """The values of ``present`` from a split line, and the columns to split it into.

        An ``itemgetter`` (C speed) where each term is a column with no default; otherwise the
        library's getter (defaults, constants), and the line is split whole."""
        getter = self.descriptor.field_plan.term_getter(present)
        columns = {field["term"]: field for field in self.descriptor.fields}
        indexes = [columns[term]["index"] for term in present]
        if len(indexes) < 2 or None in indexes or any(columns[term]["default"] for term in present):
            return getter, -1
        return itemgetter(*indexes), max(indexes) + 1

    def count_rows(self) -> int:
        """Data rows, counted as line breaks (fast, for an ETA; quoted line breaks overcount)."""
        self.unpack()
        lines, last = 0, b""
        with (self.folder / self.core_name).open("rb") as data:
            for chunk in iter(partial(data.read, 1 << 16), b""):
                lines += chunk.count(b"\n")
                last = chunk
        if last and not last.endswith(b"\n"):
            lines += 1
        return max(lines - self.descriptor.lines_to_ignore, 0)


@contextmanager
def open_archive(path: Path, *, unpack: bool = True) -> Iterator[OccurrenceArchive]:
    """Open a zip (or an unpacked folder) whose meta.xml declares an occurrence core.

    Raises ``ArchiveError`` for anything that is not such an archive. A zip's core file is
    copied out before the archive is given, unless ``unpack`` is false: then it is still
    ``pending``, for the caller to copy (``unpack``, or ``arriving`` alongside its own work).
    The temporary copy of the core file is removed on exit, whatever happens.
    """
    with ExitStack() as stack:
        pending = None
        if path.is_dir():
            folder = path
            descriptor = _core_descriptor(_read_meta(path / META_XML))
            try:
                (folder / descriptor.file_location).open("rb").close()
            except OSError as exc:
                raise _unreadable_core(descriptor.file_location, exc) from exc
        elif zipfile.is_zipfile(path):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="elvis-dwca-")))
            try:
                zipped = stack.enter_context(zipfile.ZipFile(path))
                descriptor, member = _locate(zipped)
            except UNZIP_ERRORS as exc:
                raise _unzip_error(path, exc) from exc
            pending = (zipped, member)
        elif path.exists():
            raise ArchiveError(
                _("%(path)s is not a zip file (a Darwin Core Archive is a zip).") % {"path": path}
            )
        else:
            raise ArchiveError(_("%(path)s does not exist.") % {"path": path})
        archive = OccurrenceArchive(path, folder, descriptor, pending)
        stack.callback(archive.close)
        if unpack:
            archive.unpack()
        yield archive


def _read_meta(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ArchiveError(
            _("%(path)s has no readable meta.xml; ELViS needs it to know what the columns are.")
            % {"path": path.parent}
        ) from exc


def _locate(archive: zipfile.ZipFile) -> tuple[DataFileDescriptor, zipfile.ZipInfo]:
    """meta.xml's core descriptor and the member holding the core file; archives zipped with
    their folder work too."""
    root = _content_root(archive.namelist())
    try:
        meta = archive.read(root + META_XML)
    except KeyError as exc:
        raise ArchiveError(
            _(
                "The archive has no meta.xml; ELViS needs it to know what the columns "
                'are. (A GBIF "simple CSV" download has none: ask GBIF for the '
                "Darwin Core Archive format.)"
            )
        ) from exc
    descriptor = _core_descriptor(meta)
    location = descriptor.file_location
    try:
        return descriptor, archive.getinfo(root + location)
    except KeyError as exc:
        raise ArchiveError(
            _("The core file %(file)s named in meta.xml is not in the archive.")
            % {"file": location}
        ) from exc


#: Damaged data, an unsupported compression method, or an encrypted member.
UNZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)


def _unzip_error(path: Path, error: BaseException) -> ArchiveError:
    return ArchiveError(
        _("%(path)s cannot be unzipped: %(error)s") % {"path": path, "error": error}
    )


def _unreadable_core(name: str, error: OSError) -> ArchiveError:
    return ArchiveError(
        _("The core file %(file)s named in meta.xml cannot be read: %(error)s")
        % {"file": name, "error": error.strerror or error}
    )


def _no_room(name: str, folder: Path, error: OSError) -> ArchiveError:
    return ArchiveError(
        _(
            "Cannot unpack %(file)s into %(folder)s: %(error)s. Set TMPDIR to a folder "
            "with more room, or import the archive's unpacked folder instead."
        )
        % {"file": name, "folder": folder, "error": error.strerror or error}
    )


def _content_root(names: list[str]) -> str:
    """Where meta.xml is: at the top of the zip (""), or in the one folder holding it all."""
    if META_XML in names:
        return ""
    tops = {name.split("/", 1)[0] for name in names}
    return f"{tops.pop()}/" if len(tops) == 1 else ""


def _relative(location: str) -> None:
    """The core file's path must stay inside the archive (no ``..``, not absolute)."""
    parts = PurePosixPath(location).parts
    if not parts or location.startswith("/") or ".." in parts:
        raise ArchiveError(
            _("meta.xml names a core file outside the archive: %(file)s") % {"file": location}
        )


def _core_descriptor(meta: bytes) -> DataFileDescriptor:
    """The core file's descriptor, checked: occurrences, in an encoding Python knows."""
    try:
        core = ArchiveDescriptor(meta.decode("utf-8-sig")).core
    except LookupError as exc:  # the library decodes the delimiters in the declared encoding
        raise _unknown_encoding(exc) from exc
    except (UnicodeDecodeError, ParseError, InvalidArchive, AttributeError, TypeError) as exc:
        # The library reports a missing element as AttributeError/TypeError.
        raise ArchiveError(
            _(
                "meta.xml cannot be read (%(error)s). It must be UTF-8 XML with a <core> that "
                "has encoding and rowType attributes, <files><location> and <id index>."
            )
            % {"error": exc}
        ) from exc
    if core.type != OCCURRENCE:
        raise ArchiveError(
            _(
                "The archive's core holds %(row_type)s records, not occurrences "
                "(rowType %(occurrence)s); ELViS imports specimens from occurrence archives."
            )
            % {"row_type": core.type or _("unnamed"), "occurrence": OCCURRENCE}
        )
    _relative(core.file_location)
    core.file_encoding = _python_encoding(core.file_encoding)
    return core


def _python_encoding(declared: str | None) -> str:
    """meta.xml's encoding as Python names it; UTF-8 tolerates a byte-order mark (Excel)."""
    try:
        name = codecs.lookup(declared or "utf-8").name
    except LookupError as exc:
        raise _unknown_encoding(exc) from exc
    return "utf-8-sig" if name == "utf-8" else name


def _unknown_encoding(error: LookupError) -> ArchiveError:
    return ArchiveError(
        _("meta.xml declares an encoding Python does not know (%(error)s).") % {"error": error}
    )
