"""Progress of a long import on a terminal: rows done, rows per second, time left.

At most one line a second, so the terminal never slows the import down. On a terminal the line
is rewritten in place; in a log (``--progress`` without a terminal) each report is a new line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext_lazy as _


class Progress:
    def __init__(
        self,
        stream: OutputWrapper,
        total: int | None,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.total = total
        self.interval = interval
        self.clock = clock
        self.in_place = stream.isatty()
        self.started = self.last = clock()
        self.reported: int | None = None

    def update(self, done: int) -> None:
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self._show(done, now)

    def finish(self, done: int) -> None:
        """The last report, unless it was just shown; ends the rewritten line."""
        if done != self.reported:
            self._show(done, self.clock())
        if self.in_place:
            self.stream.write("")  # the wrapper ends it with a line break

    def _show(self, done: int, now: float) -> None:
        rate = done / max(now - self.started, 1e-9)
        if self.total:
            left = max(self.total - done, 0)
            eta = timedelta(seconds=round(left / rate)) if rate else "?"
            text = _("%(done)s of %(total)s rows (%(percent)d%%), %(rate)s rows/s, ETA %(eta)s") % {
                "done": f"{done:,}",
                "total": f"{self.total:,}",
                "percent": min(100, done * 100 // self.total),
                "rate": f"{rate:,.0f}",
                "eta": eta,
            }
        else:
            text = _("%(done)s rows, %(rate)s rows/s") % {
                "done": f"{done:,}",
                "rate": f"{rate:,.0f}",
            }
        if self.in_place:  # back to the start of the line, write, clear what is left
            self.stream.write(f"\r{text}\x1b[K", ending="")
        else:
            self.stream.write(text)
        self.stream.flush()
        self.reported = done
