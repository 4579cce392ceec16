"""Reading and mapping an archive in processes of their own, a few batches ahead of the loading.

Parsing the CSV and mapping each row is Python work as long as the database's share of the
import; in one process they take turns (a reader thread gained nothing: one interpreter lock for
both). Forked reader processes run them on other cores while the database loads the batch
before: one for an archive read as a whole, several (``mappers``) for one cut into byte ranges
(``spans``), each taking every n-th batch, handed to it as the file is copied out of the zip
(``SpanFeed``). The loading takes the batches in turn from each
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
import os
import queue
import signal
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
_FORK = "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def readers(*producers: Callable[[], Iterator[T]]) -> Iterator[Iterator[T]]:
    """What the producers yield, taken in turn (the first's first item, the second's first,
    …, the first's second, …) until one has no more; each produces in a reader process of its
    own, ``DEPTH`` items ahead. The readers start now, before the first item is asked for (a
    caller may have more to do meanwhile, or hand them what they read: ``SpanFeed``), and are
    stopped on leaving."""
    if not _FORK:
        yield _in_turn([produce() for produce in producers])
        return
    context = multiprocessing.get_context("fork")
    channels: list[Queue[tuple[str, Any]]] = []
    started = []
    try:
        for produce in producers:
            channel: Queue[tuple[str, Any]] = context.Queue(maxsize=DEPTH)
            channels.append(channel)
            started.append(context.Process(target=_reader, args=(produce, channel), daemon=True))
            started[-1].start()
        yield _taken_in_turn(started, channels)
    finally:
        for reader in started:
            if reader.is_alive():
                reader.kill()
            reader.join()
        for channel in channels:
            channel.close()
            channel.cancel_join_thread()


def _taken_in_turn(
    started: Sequence[BaseProcess], channels: Sequence[Queue[tuple[str, Any]]]
) -> Iterator[Any]:
    for reader, channel in cycle(zip(started, channels, strict=True)):
        kind, item = _next(reader, channel)
        if kind == _DONE:
            return
        if kind == _FAILED:
            raise item
        yield item


class SpanFeed:
    """What a caller hands the readers after starting them: item *k* to reader *k* mod
    ``count`` (as ``readers`` takes their output), then an end to each. Unbounded queues, so
    handing never waits for a reader (a reader waits for its turn to be taken, and the caller
    may not take one before it has handed everything). A reader whose parent is gone stops
    waiting (it holds a copy of the queue's writing end, so it would never see the end)."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork" if _FORK else None)
        self.parent = os.getpid()
        self.queues: list[Queue[Any]] = [context.Queue() for _ in range(count)]
        self._handed = 0

    def hand(self, item: Any) -> None:
        """The next item, or ``None``: the end, for every reader."""
        if item is None:
            for channel in self.queues:
                channel.put(None)
            return
        self.queues[self._handed % len(self.queues)].put(item)
        self._handed += 1

    def taken(self, reader: int) -> Iterator[Any]:
        """Reader ``reader``'s items, in the reader's process, until the end."""
        channel = self.queues[reader]
        while True:
            try:
                item = channel.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if os.getpid() != self.parent and os.getppid() != self.parent:
                    raise ImportFailed(_("The importing process is gone.")) from None
                continue
            if item is None:
                return
            yield item

    def close(self) -> None:
        for channel in self.queues:
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
