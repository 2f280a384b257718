"""Redaction inside JSON text (the audit ``data`` column) that keeps the document valid JSON.

Only string contents change: numbers, whitespace and key order stay byte for byte, and a
placeholder (no quote, no backslash) always lands inside a string. A string value under a
secret-named key (``"password": "..."``) is redacted whole as ``generic_secret``: in JSON every
value is quoted, so the key is the only context there is. Text that is not JSON is redacted as
free text.

Two ways through, same result. A document without escapes (nearly all of them) is scanned
once as it stands, since each string's content is then a verbatim stretch of it; a finding
that would cross a quote sends it the slow way. The slow way decodes each string literal,
redacts it alone, and writes it back re-encoded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Set

import orjson

from pipeline.redact.context import KEYWORDS, PUBLIC_KEYS
from pipeline.redact.detector import ASCII_LOWER
from pipeline.redact.findings import Finding, active_triggers, find_secrets, may_hold_secret
from pipeline.redact.heuristics import is_placeholder
from pipeline.redact.policy import DEFAULT_POLICY, RedactionPolicy
from pipeline.redact.text import apply_findings, placeholder, redact_text

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_COLON = re.compile(r"[ \t\r\n]*:[ \t\r\n]*")
_SECRET_KEY = re.compile(rf"[A-Za-z0-9_.-]*?(?:{KEYWORDS})", re.ASCII | re.IGNORECASE)
# <keyword>" : "<value>" in the lowercased text of a document without escapes; the key's start
# is then found by walking back to its opening quote (a search that starts at each keyword is
# far faster than one that starts at each quote).
_SECRET_PAIR = re.compile(rf'(?:{KEYWORDS})"[ \t\r\n]*:[ \t\r\n]*"(?P<value>[^"]*)"', re.ASCII)
# Escapes can spell a trigger the raw text does not show (\u0041KIA, :\/\/, Bearer\t...), so a
# document with any backslash is always looked at closely.
ESCAPE_TRIGGER = r"\\"


def may_hold_secret_json(text: str) -> bool:
    """False only when no detector can fire on any string of the JSON ``text``."""
    return "\\" in text or may_hold_secret(text)


def _secret_key(key: str) -> bool:
    return _SECRET_KEY.fullmatch(key) is not None and PUBLIC_KEYS.search(key) is None


def _value_under_secret_key(value: str) -> bool:
    return len(value) >= 4 and not any(c.isspace() for c in value) and not is_placeholder(value)


def redact_json_text(
    text: str | None, policy: RedactionPolicy = DEFAULT_POLICY, active: Set[str] | None = None
) -> tuple[str | None, list[str]]:
    """JSON ``text`` with the secrets inside its strings replaced by ``[REDACTED:<kind>]``, and
    the kinds replaced, in order.

    The result is valid JSON whenever the input was, and identical to it (the same object)
    when nothing was found. ``None`` and ``""`` come back unchanged. ``active``, the triggers
    matching the whole document, is for the vectorized path (see ``find_secrets``).
    """
    if not text:
        return text, []
    if active is None and not may_hold_secret_json(text):
        return text, []
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return redact_text(text, policy, active)
    findings = None if "\\" in text else _findings_in_place(text, policy, active)
    if findings is None:
        return _redact_strings(text, policy)
    if not findings:
        return text, []
    return apply_findings(text, findings), [f.kind for f in findings]


def _findings_in_place(
    text: str, policy: RedactionPolicy, active: Set[str] | None
) -> list[Finding] | None:
    """The findings of an escape-free document scanned whole, or None if one crosses a quote
    (it would span two strings and break the document)."""
    findings = find_secrets(text, policy.thresholds, active)
    if any('"' in text[f.start : f.end] for f in findings):
        return None
    for pair in _SECRET_PAIR.finditer(text.translate(ASCII_LOWER)):
        key_end = text.index('"', pair.start())
        key_start = text.rfind('"', 0, key_end) + 1
        start, end = pair.span("value")
        if not _secret_key(text[key_start:key_end]) or not _value_under_secret_key(text[start:end]):
            continue
        if not any(f.start < end and start < f.end for f in findings):
            findings.append(Finding(start, end, "generic_secret"))
    findings.sort()
    return findings


def _redact_strings(text: str, policy: RedactionPolicy) -> tuple[str, list[str]]:
    """Each string literal decoded, redacted on its own, and re-encoded if it changed."""
    kinds: list[str] = []
    parts: list[str] = []
    last = 0
    key, value_at = "", -1  # the last key seen, and where its value starts
    for token in _STRING.finditer(text):
        raw = token.group()
        value: str = json.loads(raw) if "\\" in raw else raw[1:-1]
        new, found = redact_text(value, policy, active_triggers(value))
        colon = _COLON.match(text, token.end())  # in valid JSON only a key is followed by ":"
        if (
            colon is None
            and not found
            and token.start() == value_at
            and _secret_key(key)
            and _value_under_secret_key(value)
        ):
            new, found = placeholder("generic_secret"), ["generic_secret"]
        if colon is not None:
            key, value_at = value, colon.end()
        if found:
            kinds.extend(found)
            parts.append(text[last : token.start()])
            parts.append(json.dumps(new, ensure_ascii=False))
            last = token.end()
    if not kinds:
        return text, []
    parts.append(text[last:])
    return "".join(parts), kinds
