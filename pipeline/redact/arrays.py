"""Vectorized redaction of Arrow string arrays: the transform's hot path.

Most values hold no secret, so the whole array is first screened in C by Arrow's RE2 with the
OR of every detector's trigger (``detectors.PREFILTER``); only the rows it matches (about one
in a hundred audit rows) go through the Python detectors, and their results are written back
with ``replace_with_mask``. A row the screen passes over provably holds nothing a detector
could find, so the result is exactly that of the scalar functions, row by row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Set
from typing import TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.redact.detectors import PREFILTER, TRIGGERS
from pipeline.redact.jsontext import ESCAPE_TRIGGER, redact_json_text
from pipeline.redact.policy import DEFAULT_POLICY, RedactionPolicy
from pipeline.redact.text import redact_text

StringArray: TypeAlias = "pa.Array | pa.ChunkedArray"
Redact = Callable[[str | None, RedactionPolicy, Set[str] | None], tuple[str | None, list[str]]]

JSON_PREFILTER = f"{PREFILTER}|{ESCAPE_TRIGGER}"


def redact_array(
    values: StringArray,
    policy: RedactionPolicy = DEFAULT_POLICY,
    *,
    counts: Counter[str] | None = None,
) -> StringArray:
    """``redact_text`` over a string or large_string array: same values, same type, nulls kept.

    ``counts``, when given, is incremented by one per secret replaced, keyed by kind. An array
    with nothing to redact is returned as is (no copy).
    """
    return _redact(values, policy, counts, PREFILTER, redact_text)


def redact_json_array(
    values: StringArray,
    policy: RedactionPolicy = DEFAULT_POLICY,
    *,
    counts: Counter[str] | None = None,
) -> StringArray:
    """``redact_json_text`` over a string or large_string array of JSON documents; otherwise as
    ``redact_array``."""
    return _redact(values, policy, counts, JSON_PREFILTER, redact_json_text)


def candidates(values: pa.Array, pattern: str = PREFILTER) -> pa.Array:
    """A boolean mask (no nulls) of the rows that may hold a secret."""
    return pc.fill_null(pc.match_substring_regex(values, pattern), False)


def _redact(
    values: StringArray,
    policy: RedactionPolicy,
    counts: Counter[str] | None,
    pattern: str,
    redact_one: Redact,
) -> StringArray:
    if isinstance(values, pa.ChunkedArray):
        chunks = [_redact(c, policy, counts, pattern, redact_one) for c in values.chunks]
        return pa.chunked_array(chunks, type=values.type)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise TypeError(
            f"redaction needs a string or large_string array, not {values.type}; "
            "cast it first (pyarrow.compute.cast)"
        )
    if len(values) == values.null_count:
        return values
    mask = candidates(values, pattern)
    if not pc.any(mask).as_py():
        return values
    rows = values.filter(mask)
    # Which triggers each candidate row matches, in C too: the Python side then runs only the
    # detectors that can fire (usually one or two of thirty).
    hits = [(trigger, pc.match_substring_regex(rows, trigger).to_pylist()) for trigger in TRIGGERS]
    redacted: list[str | None] = []
    for i, text in enumerate(rows.to_pylist()):
        active = frozenset(trigger for trigger, hit in hits if hit[i])
        new, kinds = redact_one(text, policy, active)
        redacted.append(new)
        if counts is not None and kinds:
            counts.update(kinds)
    return pc.replace_with_mask(values, mask, pa.array(redacted, type=values.type))
