"""Failpoints: named places where a crash test can kill the process for real.

``DEVIN_AUDIT_FAILPOINT=name`` (or ``name:N`` for the N-th time the point is reached) makes the
process SIGKILL itself there: no cleanup, no finally blocks, exactly like a power cut or the OOM
killer. Unset, a failpoint costs one dictionary lookup. Points: ``page_landed`` (a page written,
not yet fsynced), ``extracted`` (landing complete, lake untouched), ``lake_written`` (lake
committed, state not moved), ``state_advanced`` (state moved, run not marked committed),
``backfill_wave`` (a wave of backfill windows committed).
"""

from __future__ import annotations

import os
import signal
import threading

_ENV = "DEVIN_AUDIT_FAILPOINT"
_hits: dict[str, int] = {}
_lock = threading.Lock()


def failpoint(name: str) -> None:
    """Kill this process here if the environment asks for it."""
    spec = os.environ.get(_ENV)
    if not spec:
        return
    target, _, count = spec.partition(":")
    if target != name:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] >= int(count or 1):
            os.kill(os.getpid(), signal.SIGKILL)
