"""Progress lines for long jobs: done/total, rate and ETA, written to a logger at most every
``every`` seconds (and once at the end), so a job's log shows where it stands."""

from __future__ import annotations

import logging
import time


class Progress:
    """Report ``done`` of ``total`` units (steps, samples) to ``log``.

    ``update(done)`` is cheap between reports (one clock read), so a loop may call it every
    chunk; ``finish()`` writes the last line. ``start`` is where a resumed job begins: the
    rate counts only the work done in this process.
    """

    def __init__(self, total: int, log: logging.Logger | None = None, what: str = "steps",
                 every: float = 10.0, start: int = 0, clock=time.monotonic):
        self.total, self.what, self.every, self.start = int(total), what, float(every), int(start)
        self.log = log or logging.getLogger("easy2hard.progress")
        self.clock = clock
        self.t0 = self.last = clock()
        self.done = int(start)
        self.lines = 0

    def line(self) -> str:
        elapsed = max(self.clock() - self.t0, 1e-9)
        rate = (self.done - self.start) / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        eta = f"{left:.0f} s" if left != float("inf") else "unknown"
        return (f"progress {self.done}/{self.total} {self.what} ({pct:.1f} %), "
                f"{rate:.4g} {self.what}/s, elapsed {elapsed:.0f} s, ETA {eta}")

    def update(self, done: int, note=None) -> None:
        """Set the work done; write a line if ``every`` seconds have passed since the last.
        ``note`` (a string, or a callable returning one, called only when a line is written)
        is appended to the line, e.g. the current loss."""
        self.done = int(done)
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self._write(note)

    def finish(self, note=None) -> None:
        self._write(note)

    def _write(self, note) -> None:
        self.lines += 1
        note = note() if callable(note) else note
        self.log.info(self.line() + (f", {note}" if note else ""))
