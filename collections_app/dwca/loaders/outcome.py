"""What loading one batch did, counted exactly."""

from __future__ import annotations

from collections.abc import Sized
from typing import Any, NamedTuple, Protocol

from ..mapping import MappedBatch, Rejection


class LoadOutcome(NamedTuple):
    created: int
    updated: int
    unchanged: int
    duplicates: list[Rejection]  # catalogue numbers seen in an earlier batch of the archive


class Loader(Protocol):
    def prepare(self, batch: MappedBatch) -> Sized:
        """The batch as ``load`` takes it fastest (its length: the records), made without the
        importer's connection: the archive's reader process calls this."""
        ...

    def done_reading(self) -> None:
        """What ``prepare`` held released: the reader calls this after its last batch."""
        ...

    def load(self, records: Any) -> LoadOutcome:
        """Upsert one batch (unique catalogue numbers: a ``MappedBatch``, or what ``prepare``
        made of one) inside the caller's transaction."""
        ...
