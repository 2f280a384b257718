"""Where the secrets are in one text: spans and kinds, never the values themselves."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Set
from functools import lru_cache
from typing import NamedTuple

from pipeline.redact.detector import ASCII_LOWER, Detector, Thresholds
from pipeline.redact.detectors import DETECTORS, TRIGGERS


def _python_trigger(trigger: str) -> tuple[re.Pattern[str], bool]:
    """A trigger compiled for Python, and whether to search the ASCII-lowercased text with it.

    Python's re is slow on long case-insensitive alternations, so a trigger that is one
    ``(?i:...)`` group is run case-sensitively on lowercased text instead (all our
    case-insensitive triggers are written in lowercase; the tests check both engines agree).
    """
    if trigger.startswith("(?i:") and trigger.endswith(")"):
        body = trigger[4:-1]
        try:  # unbalanced if the last ")" does not close the first "(?i:"
            return re.compile(body, re.ASCII), True
        except re.error:
            pass
    return re.compile(trigger, re.ASCII), False


# The vectorized screen's triggers, in Python for single texts: which detectors to run.
_TRIGGERS = tuple((t, *_python_trigger(t)) for t in TRIGGERS)
_DEFAULT_LIMITS = Thresholds()
_PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9_]+\]")


class Finding(NamedTuple):
    """A secret at ``text[start:end]`` of the given kind."""

    start: int
    end: int
    kind: str


def may_hold_secret(text: str) -> bool:
    """False only when no detector can fire on ``text`` (the prefilter in Python)."""
    lowered = text.translate(ASCII_LOWER)
    return any(p.search(lowered if low else text) for _, p, low in _TRIGGERS)


def active_triggers(text: str) -> frozenset[str]:
    """The triggers (``detectors.TRIGGERS``) that match ``text``."""
    lowered = text.translate(ASCII_LOWER)
    return frozenset(t for t, p, low in _TRIGGERS if p.search(lowered if low else text))


@lru_cache(maxsize=1024)
def _detectors_for(active: frozenset[str]) -> tuple[Detector, ...]:
    return tuple(d for d in DETECTORS if d.trigger in active)


def find_secrets(
    text: str, limits: Thresholds = _DEFAULT_LIMITS, active: Set[str] | None = None
) -> list[Finding]:
    """Every secret in ``text``, in order, none overlapping.

    Detectors run in ``DETECTORS`` order and the first to claim a stretch of text keeps it, so
    a GitHub token after ``password=`` is a ``github_token``, not a ``generic_secret``.
    ``active`` (the triggers that match ``text``, or a superset) skips the detectors that
    cannot fire; the vectorized path computes it for many texts at once.
    """
    if not text:
        return []
    if active is None:
        active = active_triggers(text)
    # Taken spans, sorted by start, for overlap checks by bisection. Placeholders already in
    # the text count as taken, which makes redaction idempotent.
    taken = [Finding(m.start(), m.end(), "") for m in _PLACEHOLDER.finditer(text)]
    starts = [f.start for f in taken]
    lowered: str | None = None
    for detector in _detectors_for(frozenset(active)):
        if detector.anchor is None:
            matches = _searched(detector.pattern, text)
        else:
            if lowered is None:
                lowered = text.translate(ASCII_LOWER)
            matches = _anchored(detector.pattern, detector.anchor, text, lowered)
        for match in matches:
            # A match inside a span already taken cannot add anything: skip it before the
            # (possibly costly) checks of ``locate``, e.g. entropy of a token just redacted.
            i = bisect.bisect_right(starts, match.start())
            if i > 0 and taken[i - 1].end >= match.end():
                continue
            span = detector.locate(match, limits)
            if span is None:
                continue
            start, end = span
            i = bisect.bisect_left(starts, start)
            if (i > 0 and taken[i - 1].end > start) or (i < len(taken) and taken[i].start < end):
                continue
            starts.insert(i, start)
            taken.insert(i, Finding(start, end, detector.kind))
    return [f for f in taken if f.kind]


def _searched(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match of ``pattern``, a rejected one included: after a match the search goes on
    from one past its start, so a shorter match inside a rejected one is still seen."""
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        yield match
        pos = match.start() + 1


def _anchored(
    pattern: re.Pattern[str], anchor: re.Pattern[str], text: str, lowered: str
) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` tried only where ``anchor`` says one can start."""
    for place in anchor.finditer(lowered):
        match = pattern.match(text, place.start())
        if match is not None:
            yield match
