"""Time windows: ranges cut into request windows the API accepts (it refuses over 100 days)."""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400
API_MAX_WINDOW = 100 * DAY


@dataclass(frozen=True, order=True)
class Window:
    """``[start, end)`` in Unix seconds, sent as ``time_after=start``, ``time_before=end``."""

    start: int
    end: int

    @property
    def name(self) -> str:
        return f"{self.start}-{self.end}"


def split(start: int, end: int, width_days: int, overlap: int = 1) -> list[Window]:
    """Cut ``[start, end)`` into windows of at most ``width_days``.

    Consecutive windows overlap by ``overlap`` seconds, because whether the API's bounds are
    inclusive is not documented; deduplication by id absorbs the overlap.
    """
    width = min(width_days * DAY, API_MAX_WINDOW - DAY)
    if end <= start:
        return []
    windows = []
    cursor = start
    while True:
        stop = min(cursor + width, end)
        windows.append(Window(cursor, stop))
        if stop >= end:
            return windows
        cursor = stop - overlap
