"""One run of the product: extract → land → transform (Beam) → lake → commit the state.

Ordering is what makes it safe to kill at any point:

1. Runs left unfinished in the landing zone by a crash are loaded first (the lake write is
   idempotent by id and by batch file name, so loading twice is harmless), and their state
   proposals applied.
2. Extraction lands raw pages and writes a manifest with the proposed high-water marks
   (status ``extracted``). The state does not move.
3. The Beam pipeline writes the lake (status ``loaded``).
4. Only then the state advances, and the manifest says ``committed``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.extract.client import DevinClient
from pipeline.extract.extractor import DimensionResult, ExtractOptions, Extractor, StreamResult
from pipeline.extract.landing import LandingRun, landed_runs
from pipeline.extract.state import StateStore
from pipeline.extract.streams import event_streams

log = logging.getLogger(__name__)

EVENT_TABLES = ("audit_logs", "guardrail_violations", "events", "dead_letters")


@dataclass
class RunSummary:
    """What a run did, for the screen and for schedulers' logs."""

    run_id: str
    lake: Path
    streams: list[StreamResult] = field(default_factory=list)
    dimensions: DimensionResult = field(default_factory=DimensionResult)
    new_rows: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    recovered_runs: list[str] = field(default_factory=list)
    retries: int = 0
    seconds: float = 0.0


def new_run_id(now: float | None = None) -> str:
    """Sortable and unique: ``20261203T194500Z-1a2b3c``."""
    stamp = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    return f"{stamp:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@contextmanager
def lake_lock(lake: Path) -> Iterator[None]:
    """One run per lake at a time; a second one fails fast instead of interleaving."""
    state_dir = lake / "_state"
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(state_dir / "run.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise ConfigError(
                f"another run holds the lock on {lake}; wait for it to finish (a crashed run "
                "releases the lock when its process ends)"
            ) from err
        yield
    finally:
        os.close(fd)


def _load(run: LandingRun, lake: Path, beam_args: list[str] | None) -> dict[str, int]:
    from pipeline.transform import run_transform  # Beam is imported only when needed

    files = run.files()
    if not files:
        return {}
    result = run_transform(files, lake, run.run_id, beam_args=beam_args)
    return dict(result.rows_written)


class Runner:
    """Runs the pipeline against one API client and one lake."""

    def __init__(
        self,
        settings: Settings,
        client: DevinClient,
        *,
        beam_args: list[str] | None = None,
        progress: Callable[[str, int], None] | None = None,
        stage: Callable[[str], None] | None = None,
    ) -> None:
        self._settings = settings
        self._client = client
        self._lake = Path(settings.lake)
        self._state = StateStore(self._lake)
        self._beam_args = beam_args
        self._progress = progress
        self._stage = stage or (lambda _text: None)

    def run(self, since: int | None = None) -> RunSummary:
        started = time.monotonic()
        self._lake.mkdir(parents=True, exist_ok=True)
        with lake_lock(self._lake):
            summary = RunSummary(run_id=new_run_id(), lake=self._lake)
            summary.recovered_runs = self._recover(summary.new_rows)
            run = LandingRun(self._lake, summary.run_id)
            run.write_manifest(
                {"run_id": run.run_id, "status": "extracting", "started_at": time.time()}
            )
            extractor = Extractor(
                self._client, self._state, run, self._options(), progress=self._progress
            )
            scopes = [f"org:{o}" for o in self._settings.orgs] or ["enterprise"]
            streams = event_streams(self._settings.audit_log_paths, self._settings.guardrail_paths)
            for stream in streams:
                for scope in scopes:
                    self._stage(f"pulling {stream.name} ({scope})")
                    summary.streams.append(extractor.pull_stream(stream, scope, since=since))
            self._stage("pulling orgs, users, service users and sessions")
            session_ids = set().union(*(r.session_ids for r in summary.streams))
            summary.dimensions = extractor.pull_dimensions(
                session_ids, sessions=self._settings.session_lookups
            )
            run.close()
            manifest = {
                "run_id": run.run_id,
                "status": "extracted",
                "proposals": [
                    {
                        "key": r.key,
                        "high_water": r.high_water,
                        "ids": r.ids_at_high_water,
                        "landed": r.landed,
                    }
                    for r in summary.streams
                ],
            }
            run.write_manifest(manifest)
            self._stage("transforming and loading the lake (Beam)")
            for table, rows in _load(run, self._lake, self._beam_args).items():
                summary.new_rows[table] = summary.new_rows.get(table, 0) + rows
            self._commit(run, manifest)
            summary.retries = self._client.retries
        summary.totals = lake_totals(self._lake)
        summary.seconds = time.monotonic() - started
        return summary

    def _options(self) -> ExtractOptions:
        s = self._settings
        return ExtractOptions(
            page_size=s.page_size,
            window_days=s.window_days,
            lookback_seconds=s.lookback_seconds,
            initial_days=s.initial_days,
            max_pages_per_window=s.max_pages_per_window,
        )

    def _commit(self, run: LandingRun, manifest: dict[str, Any]) -> None:
        manifest = {**manifest, "status": "loaded"}
        run.write_manifest(manifest)
        for proposal in manifest.get("proposals", []):
            if proposal.get("high_water") is not None:
                self._state.advance(
                    proposal["key"],
                    int(proposal["high_water"]),
                    list(proposal["ids"]),
                    run.run_id,
                    int(proposal.get("landed", 0)),
                )
        run.write_manifest({**manifest, "status": "committed", "committed_at": time.time()})

    def _recover(self, new_rows: dict[str, int]) -> list[str]:
        """Finish runs that a crash left before ``committed``."""
        recovered = []
        for run in landed_runs(self._lake):
            manifest = run.read_manifest()
            status = (manifest or {}).get("status")
            if status == "committed":
                continue
            self._stage(f"recovering unfinished run {run.run_id}")
            log.warning("recovering run %s left in status %s", run.run_id, status)
            if status != "loaded":
                for table, rows in _load(run, self._lake, self._beam_args).items():
                    new_rows[table] = new_rows.get(table, 0) + rows
            if status in ("extracted", "loaded") and manifest is not None:
                self._commit(run, manifest)
            else:  # died mid-extraction: its pages are in the lake, but no mark moves
                run.write_manifest(
                    {
                        "run_id": run.run_id,
                        "status": "committed",
                        "partial": True,
                        "committed_at": time.time(),
                    }
                )
            recovered.append(run.run_id)
        return recovered


def lake_totals(lake: Path) -> dict[str, int]:
    """Rows per event table in the lake, as the views see them."""
    from queries.lake import connect

    con = connect(lake)
    try:
        return {
            t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # noqa: S608
            for t in EVENT_TABLES
        }
    finally:
        con.close()
