"""The core file cut into byte ranges, one per batch, so that several processes can map them.

Mapping a row (``RowMapper``: strip, checks, ISO date, search key) and preparing its ``COPY``
text is Python work of several microseconds, so one reader process maps fewer rows per second
than the database loads: measured, the import's load phase was bound by that one process. Cut
into ranges, the file is mapped by several processes at once (``readahead``).

A range may start after any line terminator only when no terminator can sit inside a value:
meta.xml declares no quote character (the library's unquoted reading splits on the declared
terminator and nothing else), and the encoding writes the terminator as the same bytes, which
no other character contains (UTF-8, the single-byte encodings and the Windows code pages,
whose double-byte characters never hold a byte below 0x40; not UTF-16, nor the stateful
ISO-2022 family). Otherwise ``splittable`` says no and the archive is read by one process.

One pass over the bytes, counting terminators at C speed (``bytes.count``), finds where every
``size``-th row begins; it also gives the row count that the progress line and the index
decision need. Range *i* holds rows *i*·size … (*i*+1)·size − 1: exactly the batch the single
reader makes, so the batches, their rejections and line numbers are the same either way.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from dwca.descriptors import DataFileDescriptor

#: Bytes read at a time by the scan: a few hundred lines, and little memory.
CHUNK = 1 << 16
#: Encodings (Python's names) in which a line terminator is its own bytes and in no other
#: character's: UTF-8, ASCII, ISO 8859, the Windows, Mac and KOI8 code pages.
_SPLITTABLE_ENCODINGS = re.compile(
    r"utf-8(-sig)?|ascii|latin-1|iso8859-\d+|cp\d{3,4}|mac-[a-z]+|koi8-[a-z]+"
)
_TERMINATORS = ("\n", "\r\n", "\r")


@dataclass(frozen=True)
class Span:
    """Rows ``first_line`` … of the core file, in bytes ``start`` to ``end`` (excluded)."""

    start: int
    end: int
    first_line: int
    rows: int


def splittable(descriptor: DataFileDescriptor) -> bool:
    """Whether a line terminator in the core file always ends a row (see the module)."""
    encoding = codecs.lookup(descriptor.file_encoding).name
    return (
        not descriptor.fields_enclosed_by
        and descriptor.lines_terminated_by in _TERMINATORS
        and _SPLITTABLE_ENCODINGS.fullmatch(encoding) is not None
    )


def batch_spans(path: Path, terminator: bytes, header_lines: int, size: int) -> list[Span]:
    """The data rows of the file at ``path``, ``size`` rows a span (the last may hold fewer)."""
    cutter = SpanCutter(terminator, header_lines, size)
    found: list[Span] = []
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            found += cutter.feed(chunk)
    return found + cutter.finish()


class SpanCutter:
    """The spans of a file whose bytes are fed in order, each given as soon as the line after
    it begins: the file may still be arriving (``arrival``), and its readers start on the first
    span while the rest is written.

    Line numbers count header lines from 1, as ``OccurrenceArchive.rows`` does; a last line
    without a terminator is a row, as the library reads it. ``rows`` is the count of data rows
    once ``finish`` has been called.
    """

    def __init__(self, terminator: bytes, header_lines: int, size: int) -> None:
        self.terminator, self.header_lines, self.size = terminator, header_lines, size
        self.rows = 0
        self._wanted = header_lines  # the next line (0-based) whose start is wanted
        self._ended = 0  # terminators passed: the line being read is line number `ended`
        self._open: int | None = None  # where the span being cut begins
        self._first = 0  # its first data row (0-based)
        self._offset = 0  # of `carry` in the file
        self._carry = b""  # the last byte of a chunk, when it may begin a terminator
        self._ends_a_line = True  # the bytes fed so far end with a terminator (or are none)
        if header_lines == 0:
            self._open, self._wanted = 0, size

    def feed(self, chunk: bytes) -> list[Span]:
        """The spans that the bytes fed so far complete."""
        if not chunk:  # nothing new: whether the bytes so far end a line is unchanged
            return []
        terminator, step = self.terminator, len(self.terminator)
        buffer = self._carry + chunk
        position = 0
        remaining = buffer.count(terminator)  # after `position`: each chunk counted once
        completed = []
        while self._ended + remaining >= self._wanted:
            for _passed in range(self._wanted - self._ended):
                position = buffer.index(terminator, position) + step
            remaining -= self._wanted - self._ended
            self._ended = self._wanted
            start = self._offset + position
            if self._open is not None:  # the span before holds exactly `size` rows
                completed.append(self._span(start, self.size))
                self._first += self.size
            self._open = start
            self._wanted += self.size
        self._ended += remaining
        self._ends_a_line = buffer.endswith(terminator)
        keep = 0 if self._ends_a_line else step - 1
        self._carry = buffer[len(buffer) - keep :]
        self._offset += len(buffer) - keep
        return completed

    def finish(self) -> list[Span]:
        """The last span, if the file's end leaves one; ``rows`` is then known."""
        end = self._offset + len(self._carry)
        lines = self._ended if self._ends_a_line else self._ended + 1
        self.rows = max(lines - self.header_lines, 0)
        if self._open is None or self.rows <= self._first:
            return []
        return [self._span(end, self.rows - self._first)]

    def _span(self, end: int, rows: int) -> Span:
        if self._open is None:
            raise RuntimeError("no span is open")
        return Span(self._open, end, self.header_lines + self._first + 1, rows)
