"""What loading one batch did, counted exactly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from ..mapping import Record, Rejection


class LoadOutcome(NamedTuple):
    created: int
    updated: int
    unchanged: int
    duplicates: list[Rejection]  # catalogue numbers seen in an earlier batch of the archive


class Loader(Protocol):
    def load(self, records: Sequence[Record]) -> LoadOutcome:
        """Upsert one batch (unique catalogue numbers) inside the caller's transaction."""
        ...
