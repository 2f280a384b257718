"""The sandbox's notion of "now".

Every visibility decision (is this event out yet? has it left retention?) reads this clock, so
tests can freeze time and step it forward instead of sleeping. Two modes:

* frozen: `Clock(start=...)` returns `start + offset` and moves only through `advance()`;
* real: `Clock()` returns `time.time() + offset`; `advance()` still adds to the offset, so a
  separately started server can be pushed into the future over `POST /_sandbox/clock`.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """A thread-safe, optionally frozen wall clock in epoch seconds."""

    def __init__(self, start: float | None = None) -> None:
        self._start = start
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        """True when time moves only through `advance()`."""
        return self._start is not None

    def now(self) -> float:
        """Current simulated time, epoch seconds (float)."""
        base = self._start if self._start is not None else time.time()
        return base + self._offset

    def advance(self, seconds: float) -> float:
        """Move simulated time forward by `seconds` (never backwards); returns the new now."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
