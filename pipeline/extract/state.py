"""The extractor's cursor state: a high-water mark per stream and scope, only ever moving forward.

Semantics (stated here, tested in tests/test_extract_state.py):

* The checkpoint of a stream is ``high_water``: the largest ``created_at`` (Unix seconds) that the
  lake has durably taken, plus ``ids_at_high_water``: the ids seen at exactly that second (events
  sharing a second may be ordered arbitrarily, so the second itself must be re-read).
* A run starts at ``high_water - lookback`` with ``order=asc`` and drops what it already has by id
  (the lake write is also idempotent by id, so a re-read never duplicates).
* The state file is replaced atomically (temp file, fsync, rename, fsync of the directory), and
  only after the lake has committed the rows it covers.
* ``advance`` never moves a mark backwards; an opaque API cursor is never the durable checkpoint.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import StateError

STATE_VERSION = 1


@dataclass
class StreamState:
    """Checkpoint of one stream in one scope."""

    high_water: int | None = None
    ids_at_high_water: list[str] = field(default_factory=list)
    last_run_id: str | None = None
    updated_at: float | None = None
    total_landed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "high_water": self.high_water,
            "ids_at_high_water": sorted(self.ids_at_high_water),
            "last_run_id": self.last_run_id,
            "updated_at": self.updated_at,
            "total_landed": self.total_landed,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> StreamState:
        return cls(
            high_water=raw.get("high_water"),
            ids_at_high_water=[str(x) for x in raw.get("ids_at_high_water", [])],
            last_run_id=raw.get("last_run_id"),
            updated_at=raw.get("updated_at"),
            total_landed=int(raw.get("total_landed", 0)),
        )


def stream_key(stream: str, scope: str) -> str:
    """The key of a stream in the state file, e.g. ``audit_logs@enterprise``."""
    return f"{stream}@{scope}"


def atomic_write_json(path: Path, payload: Any, mode: int = 0o600) -> None:
    """Replace ``path`` with ``payload`` so a crash leaves either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class StateStore:
    """The state file of one lake: ``<lake>/_state/state.json``."""

    def __init__(self, lake: Path) -> None:
        self.path = Path(lake) / "_state" / "state.json"

    def load(self) -> dict[str, StreamState]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise StateError(
                f"cannot read the state file {self.path}: {err}. Fix or move it away; "
                "without it the next run starts over and the lake deduplicates by id."
            ) from err
        if raw.get("version") != STATE_VERSION:
            raise StateError(f"{self.path} has version {raw.get('version')}, expected 1")
        return {k: StreamState.from_json(v) for k, v in raw.get("streams", {}).items()}

    def get(self, key: str) -> StreamState:
        return self.load().get(key, StreamState())

    def advance(self, key: str, high_water: int, ids: list[str], run_id: str, landed: int) -> None:
        """Move ``key`` forward to ``high_water``; never backwards. Ids at an equal mark merge."""
        states = self.load()
        current = states.get(key, StreamState())
        if current.high_water is not None and high_water < current.high_water:
            return  # a late or partial run never rewinds the mark
        if current.high_water == high_water:
            ids = sorted(set(current.ids_at_high_water) | set(ids))
        states[key] = StreamState(
            high_water=high_water,
            ids_at_high_water=list(ids),
            last_run_id=run_id,
            updated_at=time.time(),
            total_landed=current.total_landed + landed,
        )
        self._save(states)

    def reset(self, key: str) -> bool:
        states = self.load()
        if key not in states:
            return False
        del states[key]
        self._save(states)
        return True

    def _save(self, states: dict[str, StreamState]) -> None:
        payload = {"version": STATE_VERSION, "streams": {k: v.to_json() for k, v in states.items()}}
        atomic_write_json(self.path, payload)
