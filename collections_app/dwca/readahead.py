"""Reading and mapping an archive in processes of their own, a few batches ahead of the loading.

Parsing the CSV and mapping each row is Python work as long as the database's share of the
import; in one process they take turns (a reader thread gained nothing: one interpreter lock for
both). Forked reader processes run them on other cores while the database loads the batch
before: one for an archive read as a whole, several (``mappers``) for one cut into byte ranges
(``spans``), each taking every n-th batch. The loading takes the batches in turn from each
reader, so it sees them in the archive's order whatever their number. Each reader's queue holds
at most ``DEPTH`` batches, so memory stays bounded whatever the archive size. A reader never
touches the parent's connections: it inherits their objects with the fork and must leave them
alone (it ends with ``os._exit``, as multiprocessing's children do); what it produces may open
one of its own (a merging PostgreSQL import's ``ReaderProbe``) and close it when done.

Ctrl-C reaches the whole process group: the readers ignore it and the parent, interrupted,
kills them on its way out. An ``ImportFailed`` in a reader (a damaged line) reaches the parent
in its batch's turn, after the batches before it, as it would have in one process. Where
``fork`` does not exist, the batches are produced in-process, in the same turns.

A reader runs with the garbage collector nearly out of its way (``_quiet_collector``): a batch
is tens of thousands of new tuples, none in a cycle, and each burst of them set off
collections that walked them and the whole heap the fork brought along, over half of a
reader's CPU (bench/README.md).
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import signal
import traceback
from collections.abc import Callable, Iterator
from itertools import cycle
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any, TypeVar

from django.utils.translation import gettext_lazy as _

from .errors import ImportFailed

T = TypeVar("T")

#: Batches each reader reads ahead of the loading: enough to keep the cores busy, few enough
#: for memory.
DEPTH = 2
#: How often the parent, waiting for a batch, checks that the reader is still alive.
POLL_SECONDS = 1.0
#: A reader's collector thresholds: the youngest generation is collected after this many
#: allocations (Python's default: 700, 2,000 from 3.13), the older ones as Python's own rules say.
READER_GC_THRESHOLDS = (100_000, 10, 10)

_ITEM, _DONE, _FAILED = "item", "done", "failed"


def read_ahead(*producers: Callable[[], Iterator[T]]) -> Iterator[T]:
    """What the producers yield, taken in turn (the first's first item, the second's first,
    …, the first's second, …) until one has no more; each produces in a reader process of its
    own, ``DEPTH`` items ahead."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from _in_turn([produce() for produce in producers])
        return
    context = multiprocessing.get_context("fork")
    channels: list[Queue[tuple[str, Any]]] = []
    readers = []
    try:
        for produce in producers:
            channel: Queue[tuple[str, Any]] = context.Queue(maxsize=DEPTH)
            channels.append(channel)
            readers.append(context.Process(target=_reader, args=(produce, channel), daemon=True))
            readers[-1].start()
        for reader, channel in cycle(zip(readers, channels, strict=True)):
            kind, item = _next(reader, channel)
            if kind == _DONE:
                return
            if kind == _FAILED:
                raise item
            yield item
    finally:
        for reader in readers:
            if reader.is_alive():
                reader.kill()
            reader.join()
        for channel in channels:
            channel.close()
            channel.cancel_join_thread()


def _next(reader: BaseProcess, channel: Queue[tuple[str, Any]]) -> tuple[str, Any]:
    """The reader's next message, waiting as long as it lives."""
    while True:
        try:
            return channel.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if not reader.is_alive():
                raise ImportFailed(
                    _("The archive's reader process stopped (exit status %(code)s).")
                    % {"code": reader.exitcode}
                ) from None


def _in_turn(iterators: list[Iterator[T]]) -> Iterator[T]:
    for iterator in cycle(iterators):
        try:
            yield next(iterator)
        except StopIteration:
            return


def _quiet_collector() -> None:
    """What the fork inherited is never collected here (``gc.freeze``), and collections come
    rarely; cycles, if a producer ever made them, are still collected, so memory stays bounded."""
    gc.freeze()
    gc.set_threshold(*READER_GC_THRESHOLDS)


def _reader(produce: Callable[[], Iterator[Any]], channel: Queue[tuple[str, Any]]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _quiet_collector()
    try:
        for item in produce():
            channel.put((_ITEM, item))
        channel.put((_DONE, None))
    except ImportFailed as exc:
        channel.put((_FAILED, exc))
    except Exception:  # anything else: its traceback, so the parent's error shows the cause
        channel.put((_FAILED, RuntimeError(traceback.format_exc())))
    finally:
        channel.close()
        channel.join_thread()
