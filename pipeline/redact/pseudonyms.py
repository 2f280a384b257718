"""Keyed pseudonyms for identifying values (emails): ``pseud:<hex16>``, stable per key.

A pseudonym is the first 64 bits of HMAC-SHA256(key, value), hex. The same value and key give
the same pseudonym in every table and run, so joins and counts survive; without the key it
cannot be reversed or recomputed from a guessed email. Emails are compared case-insensitively,
so a value holding ``@`` is stripped and lowercased first.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import SecretStr

from pipeline.redact.arrays import StringArray

PREFIX = "pseud:"
_PSEUDONYM = re.compile(r"pseud:[0-9a-f]{16}")


def _key_bytes(key: SecretStr | bytes) -> bytes:
    raw = key.get_secret_value().encode() if isinstance(key, SecretStr) else bytes(key)
    if not raw:
        raise ValueError("the pseudonym key is empty; set a long random key")
    return raw


def _pseudonym(value: str, key: bytes) -> str:
    if _PSEUDONYM.fullmatch(value):  # already one: hashing again would break joins
        return value
    normalized = value.strip().lower() if "@" in value else value
    digest = hmac.digest(key, normalized.encode(), hashlib.sha256)
    return PREFIX + digest[:8].hex()


def pseudonymize(value: str, key: SecretStr | bytes) -> str:
    """``pseud:`` and 16 hex digits of HMAC-SHA256(key, value): stable for a key, different
    across keys, and showing nothing of ``value``. Idempotent on pseudonyms."""
    return _pseudonym(value, _key_bytes(key))


def pseudonymize_array(values: StringArray, key: SecretStr | bytes) -> StringArray:
    """``pseudonymize`` over a string or large_string array: same type, nulls kept.

    Each distinct value is hashed once (the array is dictionary-encoded first), which is what
    makes it fast: a batch holds far fewer distinct emails than rows.
    """
    if isinstance(values, pa.ChunkedArray):
        chunks = [pseudonymize_array(c, key) for c in values.chunks]
        return pa.chunked_array(chunks, type=values.type)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        raise TypeError(f"pseudonymization needs a string or large_string array, not {values.type}")
    raw_key = _key_bytes(key)
    if len(values) == values.null_count:
        return values
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary.to_pylist()
    pseudonyms = pa.array([_pseudonym(v, raw_key) for v in distinct], type=values.type)
    return pseudonyms.take(encoded.indices)
