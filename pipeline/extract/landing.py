"""The landing zone: raw records exactly as the API sent them, with their provenance.

Layout: ``<lake>/_landing/<run_id>/<stream>/<name>.ndjson`` plus ``<run_id>/_MANIFEST.json``.
Each line is ``{"stream", "record", "provenance"}``. The zone keeps the original bytes of
sensitive fields (guardrail ``user_message``), so directories are 0700 and files 0600. A run's
manifest moves ``extracted`` → ``loaded``; a run left ``extracted`` by a crash is loaded again by
the next run before it pulls anything new (the lake write is idempotent, so that is safe).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from pipeline.extract.state import atomic_write_json

LANDING_DIR = "_landing"
MANIFEST = "_MANIFEST.json"


@dataclass(frozen=True)
class Provenance:
    """Which run, window, page and request produced a record."""

    run_id: str
    scope: str
    window_start: int | None
    window_end: int | None
    page: int
    request_id: str
    fetched_at: float
    path: str

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "scope": self.scope,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "page": self.page,
            "request_id": self.request_id,
            "fetched_at": self.fetched_at,
            "path": self.path,
        }


class LandingFile:
    """An append-only NDJSON file of one stream; durable once ``close`` returns."""

    def __init__(self, path: Path, stream: str) -> None:
        self.path = path
        self.stream = stream
        self.records = 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._fh: IO[bytes] = os.fdopen(fd, "ab")

    def write(self, records: list[dict[str, Any]], provenance: Provenance) -> None:
        # Each line is {"stream", "provenance", "record"}; the constant head is encoded once per
        # page rather than once per record (this is the extractor's hot path).
        head = b'{"stream":%s,"provenance":%s,"record":' % (
            orjson.dumps(self.stream),
            orjson.dumps(provenance.to_json()),
        )
        self._fh.write(b"".join(head + orjson.dumps(rec) + b"}\n" for rec in records))
        self.records += len(records)

    def sync(self) -> None:
        """Make everything written so far durable."""
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh.closed:
            return
        self.sync()
        self._fh.close()


class LandingRun:
    """The landing directory of one run."""

    def __init__(self, lake: Path, run_id: str) -> None:
        self.run_id = run_id
        self.root = Path(lake) / LANDING_DIR / run_id
        self._files: list[LandingFile] = []

    def open(self, stream: str, name: str) -> LandingFile:
        directory = self.root / stream
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        for parent in (directory, self.root, self.root.parent):
            os.chmod(parent, 0o700)
        handle = LandingFile(directory / f"{name}.ndjson", stream)
        self._files.append(handle)
        return handle

    def close(self) -> None:
        for handle in self._files:
            handle.close()

    def files(self) -> list[Path]:
        """Every landed file of this run that holds at least one record."""
        return sorted(p for p in self.root.glob("*/*.ndjson") if p.stat().st_size > 0)

    def write_manifest(self, payload: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write_json(self.root / MANIFEST, payload)

    def read_manifest(self) -> dict[str, Any] | None:
        path = self.root / MANIFEST
        if not path.exists():
            return None
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return result


def landed_runs(lake: Path) -> Iterator[LandingRun]:
    """The runs in the landing zone, oldest first (run ids sort by time)."""
    root = Path(lake) / LANDING_DIR
    if not root.exists():
        return
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        yield LandingRun(lake, directory.name)
