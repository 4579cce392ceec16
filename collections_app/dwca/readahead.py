"""Reading and mapping an archive in a process of its own, a few batches ahead of the loading.

Parsing the CSV and mapping each row is Python work as long as the database's share of the
import; in one process they take turns (a reader thread gained nothing: one interpreter lock for
both). A forked reader process runs them on another core while the database loads the batch
before. The queue holds at most ``DEPTH`` batches, so memory stays bounded whatever the archive
size. The reader never touches the database: it inherits the parent's connection objects with
the fork and must leave them alone (it ends with ``os._exit``, as multiprocessing's children do).

Ctrl-C reaches the whole process group: the reader ignores it and the parent, interrupted,
kills the reader on its way out. An ``ImportFailed`` in the reader (a damaged line) reaches the
parent after the batches before it, as it would have in one process. Where ``fork`` does not
exist, the batches are produced in-process, one at a time.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.queues import Queue
from typing import Any, TypeVar

from django.utils.translation import gettext_lazy as _

from .errors import ImportFailed

T = TypeVar("T")

#: Batches read ahead of the loading: enough to keep both cores busy, few enough for memory.
DEPTH = 2
#: How often the parent, waiting for a batch, checks that the reader is still alive.
POLL_SECONDS = 1.0

_ITEM, _DONE, _FAILED = "item", "done", "failed"


def read_ahead(produce: Callable[[], Iterator[T]]) -> Iterator[T]:
    """What ``produce()`` yields, produced in a reader process ``DEPTH`` items ahead."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from produce()
        return
    context = multiprocessing.get_context("fork")
    channel: Queue[tuple[str, Any]] = context.Queue(maxsize=DEPTH)
    reader = context.Process(target=_reader, args=(produce, channel), daemon=True)
    reader.start()
    try:
        while True:
            try:
                kind, item = channel.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not reader.is_alive():
                    raise ImportFailed(
                        _("The archive's reader process stopped (exit status %(code)s).")
                        % {"code": reader.exitcode}
                    ) from None
                continue
            if kind == _DONE:
                return
            if kind == _FAILED:
                raise item
            yield item
    finally:
        if reader.is_alive():
            reader.kill()
        reader.join()
        channel.close()
        channel.cancel_join_thread()


def _reader(produce: Callable[[], Iterator[Any]], channel: Queue[tuple[str, Any]]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
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
