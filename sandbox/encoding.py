"""JSON encoding for values the sandbox keeps in memory."""

from __future__ import annotations

from typing import Any

import orjson


def compact_json(value: Any) -> bytes:
    """`value` as JSON bytes that occupy only their own length.

    orjson hands back bytes carved from a larger buffer (about 4 KiB each, whatever the
    length); copying through a memoryview releases the slack, which matters for the hundreds of
    thousands of rows a sandbox caches.
    """
    return memoryview(orjson.dumps(value)).tobytes()
