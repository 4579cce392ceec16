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
    """The data rows of the file at ``path``, ``size`` rows a span (the last may hold fewer).

    Line numbers count header lines from 1, as ``OccurrenceArchive.rows`` does; a last line
    without a terminator is a row, as the library reads it.
    """
    starts: list[int] = []  # where lines header_lines, header_lines + size, … begin
    wanted = header_lines  # the next line (0-based) whose start is wanted
    ended = 0  # terminators passed: the line being read is line number `ended` (0-based)
    if wanted == 0:
        starts.append(0)
        wanted += size
    offset = 0  # of `carry` in the file
    carry = b""  # the last byte of a chunk, when it may begin a terminator ("\r" of "\r\n")
    ends_a_line = True  # the bytes read so far end with a terminator (or there are none)
    step = len(terminator)
    with path.open("rb") as data:
        while chunk := data.read(CHUNK):
            buffer = carry + chunk
            position = 0
            remaining = buffer.count(terminator)  # after `position`: each chunk counted once
            while ended + remaining >= wanted:
                for _passed in range(wanted - ended):
                    position = buffer.index(terminator, position) + step
                remaining -= wanted - ended
                ended = wanted
                starts.append(offset + position)
                wanted += size
            ended += remaining
            ends_a_line = buffer.endswith(terminator)
            keep = 0 if ends_a_line else step - 1
            carry = buffer[len(buffer) - keep :]
            offset += len(buffer) - keep
    end = offset + len(carry)
    lines = ended if ends_a_line else ended + 1  # a last line without a terminator is a row
    rows = max(lines - header_lines, 0)
    return [
        Span(start, following, header_lines + first + 1, min(size, rows - first))
        for first, start, following in zip(
            range(0, rows, size), starts, [*starts[1:], end], strict=False
        )
    ]
