"""Opaque, signed, query-bound pagination cursors.

A cursor is base64url (unpadded) of a small JSON object: the keyset position of the last item
served (`t` = created_at, `k` = id), a fingerprint `q` of the query that produced it, and an
HMAC `s` over both under a per-server secret. Decoding checks the signature (so a cursor from
another server, or a hand-edited one, is rejected) and the fingerprint (so a cursor reused with
different parameters is rejected: scope, order, first and every filter take part).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import Any

import orjson

Position = tuple[int, Any]  # (created_at, id); directory lists use (0, id)


class CursorError(ValueError):
    """The `after` value cannot be used with this request; the message says why."""


MALFORMED = "The `after` cursor is not valid: it is not a cursor this API issued."
FOREIGN = (
    "The `after` cursor does not belong to this query: a cursor is only valid with exactly "
    "the parameters of the request that returned it (scope, order, first and filters). "
    "Start again without `after`, or resend the original parameters."
)


def fingerprint(parts: Mapping[str, Any]) -> str:
    """A short digest identifying a query; equal parameter sets give equal fingerprints."""
    return hashlib.sha256(orjson.dumps(dict(parts), option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """Encodes and checks cursors under one secret (random per server unless given)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else os.urandom(32)

    def _sign(self, body: Mapping[str, Any]) -> str:
        payload = orjson.dumps(dict(body), option=orjson.OPT_SORT_KEYS)
        return _b64(hmac.new(self._secret, payload, hashlib.sha256).digest()[:12])

    def encode(self, query: str, position: Position) -> str:
        """The cursor for resuming `query` after `position`."""
        body: dict[str, Any] = {"v": 1, "q": query, "t": position[0], "k": position[1]}
        body["s"] = self._sign(body)
        return _b64(orjson.dumps(body))

    def decode(self, cursor: str, query: str) -> Position:
        """The position inside `cursor`; raises CursorError if it is forged or foreign."""
        try:
            body = orjson.loads(_unb64(cursor))
        except (binascii.Error, ValueError, orjson.JSONDecodeError) as err:
            raise CursorError(MALFORMED) from err
        if not isinstance(body, dict) or set(body) != {"v", "q", "t", "k", "s"}:
            raise CursorError(MALFORMED)
        signature = body.pop("s")
        if not isinstance(signature, str) or not hmac.compare_digest(signature, self._sign(body)):
            raise CursorError(MALFORMED)
        if body["q"] != query:
            raise CursorError(FOREIGN)
        created_at, key = body["t"], body["k"]
        if not isinstance(created_at, int) or not isinstance(key, str | int):
            raise CursorError(MALFORMED)
        return created_at, key
