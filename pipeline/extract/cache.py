"""The session lookup cache: a session is looked up once per TTL, found or not.

Sessions change (status, title, tags), so a snapshot is refreshed after ``ttl`` seconds; a 404
("unavailable": deleted or not visible) is remembered for the same time so it is not asked again
on every run. The cache is written after the lake commit, so a crash only costs a re-lookup.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from pipeline.extract.state import atomic_write_json


class SessionCache:
    """``<lake>/_state/sessions.json``: session id → ``[fetched_at, found]``."""

    def __init__(self, lake: Path, ttl: float) -> None:
        self.path = Path(lake) / "_state" / "sessions.json"
        self.ttl = ttl

    def _load(self) -> dict[str, list[float | bool]]:
        if not self.path.exists():
            return {}
        try:
            data: dict[str, list[float | bool]] = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}  # a cache: losing it costs lookups, never data
        return data

    def fresh(self, session_ids: set[str], now: float | None = None) -> set[str]:
        """Those of ``session_ids`` looked up less than ``ttl`` ago."""
        now = time.time() if now is None else now
        entries = self._load()
        return {s for s in session_ids if s in entries and now - float(entries[s][0]) < self.ttl}

    def record(self, looked_up: dict[str, bool], now: float | None = None) -> None:
        if not looked_up:
            return
        now = time.time() if now is None else now
        entries = {k: v for k, v in self._load().items() if now - float(v[0]) < self.ttl}
        entries.update({k: [now, found] for k, found in looked_up.items()})
        atomic_write_json(self.path, entries)
