"""Latency samples and their percentiles, in milliseconds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Latencies:
    seconds: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.seconds.append(seconds)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in ms (p95 of 1,000 samples is the 950th fastest)."""
        ordered = sorted(self.seconds)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)
