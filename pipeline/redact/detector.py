"""What a detector is: a regex, the span it redacts, and the RE2 trigger that screens for it.

A detector is a Python regex, a ``locate`` function that turns a match into the span to redact
(or rejects it), and a ``trigger``: an RE2 pattern (Arrow's regex engine: no lookaround, no
backreferences) that matches every text the detector can fire on. The vectorized prefilter ORs
the triggers, so a row no trigger matches provably holds nothing to redact;
``tests/test_redact_arrays.py`` checks the invariant. Patterns use ``re.ASCII`` so that Python
never matches more than RE2 would (Unicode digits, the Kelvin sign folding to ``k``...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pipeline.redact.heuristics import is_placeholder

Source = Literal["detect-secrets", "ours", "both"]
Span = tuple[int, int]
Locate = Callable[[re.Match[str], "Thresholds"], Span | None]

FLAGS = re.ASCII
IGNORECASE = re.ASCII | re.IGNORECASE


@dataclass(frozen=True)
class Thresholds:
    """The tunable numbers a detector may consult (from ``RedactionPolicy``)."""

    entropy: float = 3.5
    hex_entropy: float = 3.0


@dataclass(frozen=True)
class Detector:
    """One way of finding one kind of secret."""

    kind: str
    pattern: re.Pattern[str]
    trigger: str  # RE2; must match every text ``pattern`` + ``locate`` can accept
    source: Source
    locate: Locate
    # For case-insensitive patterns, which Python's re runs slowly over long alternations: a
    # case-sensitive lookahead over the ASCII-lowercased text marking the only places where
    # ``pattern`` can start, so it is tried there alone (``pattern.match``).
    anchor: re.Pattern[str] | None = None


# str.translate with this keeps every index where it was (str.lower may not, beyond ASCII).
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def starts_at(lowercase: str) -> re.Pattern[str]:
    """An ``anchor``: a lookahead for where a match of ``lowercase`` starts."""
    return re.compile(f"(?=(?:{lowercase}))", FLAGS)


def group(index: int | str = 0) -> Locate:
    """Redact one group of the match as is."""

    def locate(match: re.Match[str], _: Thresholds) -> Span | None:
        start, end = match.span(index)
        return (start, end) if start < end else None

    return locate


def library(pattern: re.Pattern[str], flags: int = FLAGS) -> str:
    """A detect-secrets denylist regex, re-compiled with our flags (its text, unchanged)."""
    re.compile(pattern.pattern, flags)  # fail at import if the library changes shape
    return pattern.pattern


def bounded(body: str) -> str:
    """``body`` as a whole token: not glued to more token characters on either side. A ``/``
    before it is a boundary only after a non-base64 character (``https://ghp_...@``), so a
    token shape inside a longer base64 blob is not taken for a token."""
    return rf"(?<![A-Za-z0-9_+-])(?<![A-Za-z0-9+=]/)(?:{body})(?![A-Za-z0-9_+/=-])"


def edge(trigger: str) -> str:
    """The RE2 trigger of a ``bounded`` token: its prefix, not glued to token characters."""
    return rf"(?:^|[^A-Za-z0-9_+-])(?:{trigger})"


def unless_placeholder(index: int | str) -> Locate:
    """Redact one group of the match, unless it is a placeholder (``<password>``, ``$PASS``)."""

    def locate(match: re.Match[str], _: Thresholds) -> Span | None:
        return None if is_placeholder(match.group(index)) else match.span(index)

    return locate


def make(
    kind: str,
    pattern: str,
    trigger: str,
    source: Source,
    locate: Locate | None = None,
    flags: int = FLAGS,
    starts: str | None = None,
) -> Detector:
    """A detector; ``starts`` (lowercase regex) sets its anchor, ``locate`` defaults to the
    whole match."""
    anchor = starts_at(starts) if starts is not None else None
    return Detector(kind, re.compile(pattern, flags), trigger, source, locate or group(), anchor)
