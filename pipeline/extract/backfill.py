"""Backfill jobs: a long range cut into windows whose progress survives a crash.

A job is keyed by stream, scope and range. Each window records how far the lake has durably
taken it (``resume_from`` plus the ids at that second) and whether it is ``done``; a failed or
killed backfill run with the same range resumes every unfinished window where it stopped.
Progress is written only after the lake commit, like the incremental state.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import StateError
from pipeline.extract.state import atomic_write_json
from pipeline.extract.windows import split


@dataclass
class WindowProgress:
    """One window of a backfill job."""

    start: int
    end: int
    done: bool = False
    resume_from: int | None = None
    ids: list[str] = field(default_factory=list)
    landed: int = 0


def job_key(stream: str, scope: str, since: int, until: int) -> str:
    return f"{stream}@{scope}:{since}-{until}"


class BackfillStore:
    """``<lake>/_state/backfills.json``: every backfill job and its windows."""

    def __init__(self, lake: Path) -> None:
        self.path = Path(lake) / "_state" / "backfills.json"
        self._lock = threading.Lock()

    def load(self) -> dict[str, list[WindowProgress]]:
        if not self.path.exists():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise StateError(f"cannot read {self.path}: {err}; move it away to start over") from err
        return {k: [WindowProgress(**w) for w in v] for k, v in raw.get("jobs", {}).items()}

    def job(self, key: str, since: int, until: int, width_days: int) -> list[WindowProgress]:
        """The windows of job ``key``, created (and saved) on first use."""
        with self._lock:
            jobs = self.load()
            if key not in jobs:
                jobs[key] = [
                    WindowProgress(w.start, w.end) for w in split(since, until, width_days)
                ]
                self._save(jobs)
            return jobs[key]

    def open_until(self, stream: str, scope: str, since: int) -> int | None:
        """The end of an unfinished job with this start, so that a rerun without --until
        resumes it instead of starting a new one."""
        prefix = job_key(stream, scope, since, 0).rsplit("-", 1)[0] + "-"
        for key, windows in self.load().items():
            if key.startswith(prefix) and not all(w.done for w in windows):
                return int(key.rsplit("-", 1)[1])
        return None

    def record(
        self, key: str, index: int, high_water: int | None, ids: list[str], done: bool, landed: int
    ) -> None:
        """Note the durable progress of one window; progress never moves backwards."""
        with self._lock:
            jobs = self.load()
            window = jobs[key][index]
            if high_water is not None and (
                window.resume_from is None or high_water > window.resume_from
            ):
                window.resume_from, window.ids = high_water, sorted(ids)
            elif high_water is not None and high_water == window.resume_from:
                window.ids = sorted(set(window.ids) | set(ids))
            window.done = window.done or done
            window.landed += landed
            self._save(jobs)

    def _save(self, jobs: dict[str, list[WindowProgress]]) -> None:
        payload: dict[str, Any] = {
            "version": 1,
            "jobs": {k: [asdict(w) for w in v] for k, v in jobs.items()},
        }
        atomic_write_json(self.path, payload)
