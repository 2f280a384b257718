"""API epochs to UTC microseconds, with the unit detected defensively (devin-api.md §6.9)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

# v3 sends seconds, v1/v2 sent milliseconds; no plausible second count reaches 1e12 (year 33658).
MILLISECONDS_ABOVE = 1e12
# datetime's range, so every accepted value also fits Arrow, Parquet and DuckDB timestamps.
_MAX_SECONDS = 253_402_300_800  # 10000-01-01T00:00:00Z


class InvalidTimestamp(ValueError):
    """The value is not an epoch (or ISO 8601 string) we can place on the time line."""


def to_micros(value: int | float | str) -> tuple[int, int | None]:
    """Return ``(microseconds since the epoch, raw integer)`` for an API timestamp.

    Integers and floats above 1e12 are milliseconds, others seconds; numeric strings are read
    as numbers; other strings must be ISO 8601 (naive ones are UTC) and have no raw integer.
    Raises ``InvalidTimestamp`` for booleans, NaN, negative values and anything past year 9999.
    """
    if isinstance(value, bool):
        raise InvalidTimestamp("a boolean is not a timestamp")
    if isinstance(value, str):
        return _from_string(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidTimestamp(f"{value!r} is not a timestamp")
    if isinstance(value, int):
        micros = value * 1_000 if value > MILLISECONDS_ABOVE else value * 1_000_000
    else:
        micros = round(value * 1_000 if value > MILLISECONDS_ABOVE else value * 1_000_000)
    if not 0 <= micros < _MAX_SECONDS * 1_000_000:
        raise InvalidTimestamp(f"{value!r} is outside 1970..9999 in seconds and milliseconds")
    return micros, math.floor(value)


def _from_string(value: str) -> tuple[int, int | None]:
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(number):
            return to_micros(int(text) if text.lstrip("+-").isdigit() else number)
        raise InvalidTimestamp(f"{value!r} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidTimestamp(f"{value!r} is neither an epoch nor ISO 8601") from err
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    delta = parsed - datetime(1970, 1, 1, tzinfo=UTC)
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if micros < 0:
        raise InvalidTimestamp(f"{value!r} is before 1970")
    return micros, None


def optional_micros(value: int | float | str | None) -> int | None:
    """``to_micros`` for optional fields: None stays None, the raw integer is dropped."""
    return None if value is None else to_micros(value)[0]
