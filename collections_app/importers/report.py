"""What an import did: per-model outcomes, skipped rows and warnings.

Outcomes are counted per object, not per row: the same institution touched by three tables in one
run counts once, with its strongest outcome (created beats updated beats unchanged). Skips are
counted per row, because a skipped row has no object.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from collections_app.models import Collection, Facility, Institution, Instrument

REPORTED_MODELS: tuple[type[models.Model], ...] = (Institution, Facility, Instrument, Collection)


class Outcome(enum.IntEnum):
    """Ordered by strength, so ``max`` keeps the most telling outcome of an object."""

    UNCHANGED = 0
    UPDATED = 1
    CREATED = 2


class RowError(Exception):
    """A row or record that cannot be imported; the message says why, for the person fixing it."""


class ImportReport:
    """Collects outcomes and writes each problem as it happens (the caller chooses where)."""

    def __init__(self, write_problem: Callable[[str], object]) -> None:
        self._write_problem = write_problem
        self._outcomes: dict[type[models.Model], dict[int, Outcome]] = defaultdict(dict)
        self._skipped: Counter[type[models.Model]] = Counter()

    def record(self, instance: models.Model, outcome: Outcome) -> None:
        seen = self._outcomes[type(instance)]
        seen[instance.pk] = max(outcome, seen.get(instance.pk, Outcome.UNCHANGED))

    def skip(self, model: type[models.Model], where: str, reason: str) -> None:
        self._skipped[model] += 1
        self._write_problem(
            _("%(where)s: skipped: %(reason)s") % {"where": where, "reason": reason}
        )

    def warn(self, where: str, message: str) -> None:
        self._write_problem(
            _("%(where)s: warning: %(message)s") % {"where": where, "message": message}
        )

    def counts(self, model: type[models.Model]) -> dict[str, int]:
        outcomes = Counter(self._outcomes[model].values())
        return {
            "created": outcomes[Outcome.CREATED],
            "updated": outcomes[Outcome.UPDATED],
            "unchanged": outcomes[Outcome.UNCHANGED],
            "skipped": self._skipped[model],
        }

    def summary(self) -> list[str]:
        return [
            _(
                "%(model)s: %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged, %(skipped)d skipped"
            )
            % {"model": str(model._meta.verbose_name_plural).capitalize(), **self.counts(model)}
            for model in REPORTED_MODELS
        ]


@dataclass
class RowContext:
    """One row being imported: where it is, and what it touched (kept until its savepoint holds)."""

    report: ImportReport
    file_name: str
    position: str
    first_seen: dict[Hashable, str]
    touched: list[tuple[models.Model, Outcome]] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file_name}, {self.position}"

    def record(self, instance: models.Model, outcome: Outcome) -> None:
        self.touched.append((instance, outcome))

    def warn(self, message: str) -> None:
        self.report.warn(self.where, message)

    def note_key(self, key: Hashable, label: str) -> None:
        """Warn when a file repeats a key: the later row updates the same object, never a twin."""
        earlier = self.first_seen.setdefault(key, self.position)
        if earlier != self.position:
            self.warn(
                _("%(label)s repeats %(earlier)s; this row's values win")
                % {"label": label, "earlier": earlier}
            )

    def commit(self) -> None:
        for instance, outcome in self.touched:
            self.report.record(instance, outcome)
