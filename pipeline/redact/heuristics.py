"""Pure predicates that tell a secret from something shaped like one.

Each answers one question about a candidate value (a placeholder? prose? an id? random enough?)
so the detectors stay declarative. Entropy, sequence and UUID checks are detect-secrets' own;
the placeholder and id rules are ours, written for what people type into a prompt.
"""

from __future__ import annotations

import base64
import binascii
import re

from detect_secrets.filters.heuristic import (
    is_potential_uuid,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
)

_BASE64_ENTROPY = Base64HighEntropyString()
_HEX_ENTROPY = HexHighEntropyString()

# Words that stand where a value would go in docs, schemas and forms: not a credential.
_FILLER_WORDS = frozenset(
    """
    true false null none nil undefined empty required optional string str text int bool
    hidden masked redacted secret secrets password passwords passwd token tokens key keys
    value values changeit placeholder example sample dummy test xxx tbd todo na n/a
    """.split()
)

_PLACEHOLDER = re.compile(
    r"""
    ^\[REDACTED(?::[a-z0-9_]+)?\]$        # already redacted: keeps redaction idempotent
    | ^[$%]                               # $VAR, ${VAR}, $(cmd), %VAR%: a reference
    | ^\{\{.*\}\}$                        # {{ template }}
    | ^(.)\1{2,}$                         # xxxx, ****, ....
    | ^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$     # API_KEY, YOUR_TOKEN_HERE: an env var's name
    | ^(?:your|my|the|some|insert|enter|replace)[-_ .]   # your-password, my_api_key
    | (?:[-_]here|placeholder|replace[-_]?me|redacted|\*{3})
    | ^[A-Za-z_][\w.]*[\[(]               # os.environ["X"], getenv("X"): an indirect reference
    | ^(?:process\.env|os\.environ|env|secrets|vars?|local|data|module|settings|config)\.
    | ^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+$    # values.db.password: a dotted reference
    | ^!\w                                # YAML tag: !vault, !secret, !Ref
    """,
    re.ASCII | re.IGNORECASE | re.VERBOSE,
)

_ID_SHAPE = re.compile(
    r"""
    ^[a-z][a-z0-9_.-]*-[0-9a-f]{8,}$      # devin-<hex>, audit_log-<hex>, v1-deps-<hex>
    | ^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$
    """,
    re.ASCII | re.VERBOSE,
)


def is_placeholder(value: str) -> bool:
    """True for values that stand in for a secret rather than being one.

    Covers templates (``<x>``, ``${X}``, ``{{ x }}``), references (``$API_KEY``,
    ``os.environ["X"]``), env-var names, filler words (``required``, ``changeit``) and masks
    (``****``), plus our own ``[REDACTED:kind]`` so that redaction is idempotent.
    """
    stripped = value.strip()
    if len(stripped) < 2 or is_templated_secret(stripped):
        return True
    if stripped.lower() in _FILLER_WORDS:
        return True
    return bool(_PLACEHOLDER.search(stripped))


def char_classes(value: str) -> int:
    """How many of lowercase, uppercase, digit and other characters ``value`` mixes."""
    return (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() for c in value)
    )


def looks_like_word(value: str) -> bool:
    """True for a plain lowercase word (``required``, ``then``), which in prose after
    ``password:`` is the sentence going on, not a credential."""
    return value.isalpha() and value.islower()


def is_hex(value: str) -> bool:
    """True when every character is a hex digit (one case only, as hex is written)."""
    return bool(re.fullmatch(r"[0-9a-f]+|[0-9A-F]+", value))


def base64_entropy(value: str) -> float:
    """Shannon entropy (bits per character) over the base64 alphabet, as detect-secrets
    computes it."""
    return float(_BASE64_ENTROPY.calculate_shannon_entropy(value))


def hex_entropy(value: str) -> float:
    """Shannon entropy over hex digits, with detect-secrets' discount for all-digit strings."""
    return float(_HEX_ENTROPY.calculate_shannon_entropy(value))


def is_id_shaped(value: str) -> bool:
    """True for UUIDs and ``prefix-<hex>`` ids (sessions, orgs, audit logs, secret ids)."""
    return bool(_ID_SHAPE.match(value)) or is_potential_uuid(value)


def decodes_to_text(value: str) -> bool:
    """True when ``value`` is base64 of printable ASCII: an encoded word, not random bytes.

    Random bytes decode to something printable with odds of about 0.37 per byte, so for the
    lengths we look at (15 bytes and more) a hit means the input was text.
    """
    padded = value + "=" * (-len(value) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decode(padded)
        except (binascii.Error, ValueError):
            continue
        if len(raw) >= 6 and all(32 <= b < 127 or b in (9, 10, 13) for b in raw):
            return True
    return False


def is_random_looking(value: str, threshold: float, hex_threshold: float) -> bool:
    """True when ``value`` looks like key material rather than a word, path, id or sequence.

    Hex needs 32 digits or more and ``hex_threshold`` bits per digit; anything else needs 20
    characters or more, letters mixed with digits (or case mixed), ``threshold`` bits per
    character, and must not decode to text.
    """
    if is_sequential_string(value) or is_id_shaped(value):
        return False
    if is_hex(value):
        return len(value) >= 32 and hex_entropy(value) >= hex_threshold
    if len(value) < 20:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_upper = any(c.isupper() for c in value)
    has_lower = any(c.islower() for c in value)
    if not (has_digit and (has_upper or has_lower)) and not (has_upper and has_lower):
        return False
    if "/" in value and not has_upper:  # a lowercase path, not base64
        return False
    if not has_digit and len(value) < 32:  # CamelCaseIdentifiers read as words
        return False
    return base64_entropy(value) >= threshold and not decodes_to_text(value)
