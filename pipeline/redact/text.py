"""Redaction of one free-text value: each secret becomes ``[REDACTED:<kind>]``."""

from __future__ import annotations

from collections.abc import Set

from pipeline.redact.findings import Finding, find_secrets
from pipeline.redact.policy import DEFAULT_POLICY, RedactionPolicy


def placeholder(kind: str) -> str:
    """The text that stands where a secret of ``kind`` was."""
    return f"[REDACTED:{kind}]"


def apply_findings(text: str, findings: list[Finding]) -> str:
    """``text`` with each (sorted, disjoint) finding replaced by its placeholder."""
    parts: list[str] = []
    last = 0
    for start, end, kind in findings:
        parts.append(text[last:start])
        parts.append(placeholder(kind))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def redact_text(
    text: str | None, policy: RedactionPolicy = DEFAULT_POLICY, active: Set[str] | None = None
) -> tuple[str | None, list[str]]:
    """``text`` with every secret found replaced by ``[REDACTED:<kind>]``, and the kinds replaced
    (one entry per secret, in order of appearance) for counting.

    Never returns a secret value. ``None`` and ``""`` come back unchanged; text without a
    secret comes back as the very same object. Idempotent: placeholders are not re-detected.
    ``active`` is for the vectorized path (see ``find_secrets``).
    """
    if not text:
        return text, []
    findings = find_secrets(text, policy.thresholds, active)
    if not findings:
        return text, []
    return apply_findings(text, findings), [f.kind for f in findings]
