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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import Settings
from pipeline.errors import ConfigError, PipelineError
from pipeline.extract.backfill import BackfillStore, WindowProgress, job_key
from pipeline.extract.cache import SessionCache
from pipeline.extract.client import DevinClient
from pipeline.extract.extractor import DimensionResult, ExtractOptions, Extractor, StreamResult
from pipeline.extract.landing import LandingRun, landed_runs
from pipeline.extract.state import StateStore, stream_key
from pipeline.extract.streams import Stream, event_streams
from pipeline.failpoints import failpoint
from sinks.compact import finish_interrupted
from sinks.storage import shown

if TYPE_CHECKING:
    from pipeline.redact import RedactionPolicy
    from pipeline.transform.job import TransformResult

log = logging.getLogger(__name__)

EVENT_TABLES = ("audit_logs", "guardrail_violations", "events", "dead_letters")


@dataclass
class RunSummary:
    """What a run did, for the screen and for schedulers' logs."""

    run_id: str
    lake: str  # as it may be shown: a URI without credentials (``sinks.storage.shown``)
    streams: list[StreamResult] = field(default_factory=list)
    dimensions: DimensionResult = field(default_factory=DimensionResult)
    new_rows: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    recovered_runs: list[str] = field(default_factory=list)
    windows_total: int = 0
    windows_total_done: int = 0
    retries: int = 0
    seconds: float = 0.0
    unknown_actions: int = 0  # rows whose action the taxonomy did not know (default severity)


def new_run_id(now: float | None = None) -> str:
    """Sortable and unique: ``20261203T194500Z-1a2b3c``."""
    stamp = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    return f"{stamp:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@contextmanager
def lake_lock(work_dir: Path) -> Iterator[None]:
    """One run per lake at a time; a second one fails fast instead of interleaving."""
    lake = work_dir
    state_dir = work_dir / "_state"
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


def _load_many(
    runs: list[LandingRun],
    lake: str,
    beam_args: list[str] | None,
    policy: RedactionPolicy | None = None,
) -> TransformResult:
    """Transform the landed files of ``runs`` into the lake in one Beam pipeline."""
    from pipeline.transform.job import TransformResult  # Beam is imported only when needed

    files = [f for run in runs for f in run.files()]
    if not files:
        return TransformResult()
    from pipeline.redact import DEFAULT_POLICY
    from pipeline.transform import run_transform  # Beam is imported only when needed

    batch_id = runs[0].run_id if len(runs) == 1 else f"{runs[0].run_id}+{len(runs)}"
    return run_transform(
        files, lake, batch_id, beam_args=beam_args, policy=policy or DEFAULT_POLICY
    )


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
        now: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._now = now
        self._client = client
        self._lake = settings.lake  # where the Parquet goes (a directory or an object store)
        self._policy = settings.policy()  # a bad policy fails before anything is pulled
        self._work = settings.work_path  # landing zone, state and lock: always local
        self._state = StateStore(self._work)
        self._backfills = BackfillStore(self._work)
        self._sessions = SessionCache(self._work, settings.session_ttl_seconds)
        self._beam_args = beam_args if beam_args is not None else settings.beam_argv
        if self._beam_args:
            from pipeline.transform.job import check_beam_args

            check_beam_args(self._beam_args)
        self._progress = progress
        self._stage = stage or (lambda _text: None)

    # -- the three ways to pull ----------------------------------------------------------------

    def _load(self, runs: list[LandingRun], summary: RunSummary) -> None:
        """Transform ``runs`` into the lake and count what they added in ``summary``."""
        result = _load_many(runs, self._lake, self._beam_args, self._policy)
        for table, n in result.rows_written.items():
            summary.new_rows[table] = summary.new_rows.get(table, 0) + n
        summary.unknown_actions += result.unknown_actions

    def run(self, since: int | None = None) -> RunSummary:
        """The scheduled, incremental run: every stream from its checkpoint to now."""
        with self._session() as summary:
            run = self._new_landing("run")
            extractor = self._extractor(run)
            proposals: dict[str, dict[str, Any]] = {}

            def checkpoint(result: StreamResult) -> None:
                proposals[result.key] = _cursor_proposal(result)
                self._manifest(run, "run", "extracting", list(proposals.values()))

            if self._settings.legacy_v2:
                self._stage("pulling the legacy v2 audit log")
                result = self._pull_legacy(extractor, since)
                summary.streams.append(result)
                proposals[result.key] = _cursor_proposal(result)
            else:
                for stream in self._streams():
                    for scope in self._scopes():
                        self._stage(f"pulling {stream.name} ({scope})")
                        result = extractor.pull_stream(
                            stream, scope, since=since, checkpoint=checkpoint
                        )
                        summary.streams.append(result)
            self._finish(run, "run", list(proposals.values()), summary, extractor)
        return summary

    def backfill(self, since: int, until: int | None = None, *, concurrency: int = 4) -> RunSummary:
        """Pull ``[since, until)`` in windows fetched in parallel, resumable window by window.

        Backfills do not move the scheduled cursors: the lake deduplicates by id, so a backfill
        that overlaps scheduled runs lands nothing twice.
        """
        errors: list[BaseException] = []
        with self._session() as summary:
            tasks = []
            for stream in self._streams():
                for scope in self._scopes():
                    end = until or self._backfills.open_until(stream.name, scope, since)
                    end = end or int(self._now()) + 1
                    key = job_key(stream.name, scope, since, end)
                    windows = self._backfills.job(key, since, end, self._settings.window_days)
                    summary.windows_total += len(windows)
                    tasks += [
                        (stream, scope, key, i, w) for i, w in enumerate(windows) if not w.done
                    ]
            # Oldest windows first across streams, so a resumed backfill continues at the
            # first unfinished window of each stream.
            tasks.sort(key=lambda task: (task[3], task[0].name, task[1]))
            summary.windows_total_done = summary.windows_total - len(tasks)
            width = max(1, concurrency)
            # Waves of `concurrency` windows: fetched in parallel, then loaded and committed
            # together, so a killed backfill loses at most one wave's commit (and even that
            # wave resumes from its durable progress marks).
            for first in range(0, len(tasks), width):
                wave = tasks[first : first + width]
                self._stage(
                    f"backfilling windows {first + 1}-{first + len(wave)} of {len(tasks)}, "
                    f"{width} at a time"
                )
                with ThreadPoolExecutor(max_workers=width) as pool:
                    futures = [pool.submit(self._backfill_window, *task) for task in wave]
                    for future in futures:
                        try:
                            summary.streams.append(future.result())
                        except PipelineError as err:
                            errors.append(err)
                self._stage("transforming and loading the lake (Beam)")
                pending = [
                    r
                    for r in landed_runs(self._work)
                    if (r.read_manifest() or {}).get("status") != "committed"
                ]
                self._load(pending, summary)
                for run in pending:
                    self._commit(run, run.read_manifest() or {})
                summary.windows_total_done += sum(1 for t in wave if self._window_done(t[2], t[3]))
                failpoint("backfill_wave")
        if errors:
            raise PipelineError(
                f"{len(errors)} backfill window(s) failed; what they landed is in the lake. Run "
                f"the same backfill again to resume them. First error: {errors[0]}"
            )
        return summary

    def fetch(
        self,
        since: int,
        until: int | None,
        *,
        session_id: str | None = None,
        guardrail_id: str | None = None,
        action: str | None = None,
    ) -> RunSummary:
        """A targeted pull for an incident, with the API's own filters; no cursor moves.

        ``session_id``/``guardrail_id`` select guardrail violations, ``action`` audit logs.
        """
        until = int(self._now()) + 1 if until is None else until
        with self._session() as summary:
            run = self._new_landing("fetch")
            extractor = self._extractor(run)
            # Each filter exists on one stream only: session and guardrail on violations,
            # action on audit logs. A stream none of the given filters applies to is skipped.
            wanted = {
                "guardrail_violations": {"session_id": session_id, "guardrail_id": guardrail_id},
                "audit_logs": {"action": action},
            }
            for stream in self._streams():
                filters = {k: v for k, v in wanted[stream.name].items() if v}
                if not filters:
                    continue
                for scope in self._scopes():
                    self._stage(f"fetching {stream.name} ({scope}) {filters}")
                    result = StreamResult(stream.name, scope)
                    summary.streams.append(
                        extractor.pull_range(stream, result, since, until, filters=filters)
                    )
            self._finish(run, "fetch", [], summary, extractor)
        return summary

    # -- the pieces ----------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[RunSummary]:
        started = time.monotonic()
        self._work.mkdir(parents=True, exist_ok=True)
        summary = RunSummary(run_id=new_run_id(), lake=shown(self._lake))  # no credentials
        with lake_lock(self._work):
            finish_interrupted(self._lake)  # a compaction cut short would show keys twice
            summary.recovered_runs = self._recover(summary)
            yield summary
            summary.retries = self._client.retries
        summary.totals = lake_totals(self._lake)
        summary.seconds = time.monotonic() - started

    def _streams(self) -> list[Stream]:
        return event_streams(self._settings.audit_log_paths, self._settings.guardrail_paths)

    def _scopes(self) -> list[str]:
        return [f"org:{o}" for o in self._settings.orgs] or ["enterprise"]

    def _new_landing(self, kind: str) -> LandingRun:
        run = LandingRun(self._work, new_run_id())
        self._manifest(run, kind, "extracting", [])
        return run

    def _extractor(self, run: LandingRun) -> Extractor:
        return Extractor(
            self._client, self._state, run, self._options(), progress=self._progress, now=self._now
        )

    @staticmethod
    def _manifest(
        run: LandingRun, kind: str, status: str, proposals: list[dict[str, Any]], **extra: Any
    ) -> dict[str, Any]:
        manifest = {
            "run_id": run.run_id,
            "kind": kind,
            "status": status,
            "proposals": proposals,
            **extra,
        }
        run.write_manifest(manifest)
        return manifest

    def _finish(
        self,
        run: LandingRun,
        kind: str,
        proposals: list[dict[str, Any]],
        summary: RunSummary,
        extractor: Extractor,
    ) -> None:
        """Dimensions, then extracted → loaded → committed."""
        if self._settings.legacy_v2:
            summary.dimensions.warnings.append(
                "legacy v2 mode: no guardrail violations and no enrichment (both need v3 and a "
                "cog_ credential)"
            )
        else:
            self._stage("pulling orgs, users, service users and sessions")
            session_ids = set().union(*(r.session_ids for r in summary.streams))
            cached = self._sessions.fresh(session_ids)
            summary.dimensions = extractor.pull_dimensions(
                session_ids - cached, sessions=self._settings.session_lookups
            )
            summary.dimensions.sessions_cached = len(cached)
        run.close()
        manifest = self._manifest(run, kind, "extracted", proposals)
        failpoint("extracted")
        self._stage("transforming and loading the lake (Beam)")
        self._load([run], summary)
        self._commit(run, manifest)
        self._sessions.record(summary.dimensions.sessions_looked_up)

    def _backfill_window(
        self, stream: Stream, scope: str, key: str, index: int, window: WindowProgress
    ) -> StreamResult:
        run = self._new_landing("backfill")
        extractor = self._extractor(run)

        def checkpoint(result: StreamResult, done: bool = False) -> None:
            proposal = {
                "kind": "backfill",
                "job": key,
                "window": index,
                "high_water": result.high_water,
                "ids": result.ids_at_high_water,
                "done": done,
                "landed": result.landed,
            }
            self._manifest(run, "backfill", "extracting", [proposal])

        start = window.start if window.resume_from is None else window.resume_from - 1
        result = StreamResult(
            stream.name, scope, high_water=window.resume_from, ids_at_high_water=list(window.ids)
        )
        try:
            extractor.pull_range(stream, result, start, window.end, checkpoint=checkpoint)
        finally:
            run.close()
        checkpoint(result, done=True)
        manifest = run.read_manifest() or {}
        self._manifest(run, "backfill", "extracted", manifest.get("proposals", []))
        return result

    def _window_done(self, key: str, index: int) -> bool:
        return self._backfills.load()[key][index].done

    def _pull_legacy(self, extractor: Extractor, since: int | None) -> StreamResult:
        saved = self._state.get(stream_key("audit_logs_v2", "enterprise"))
        end = int(self._now()) + 1
        if since is not None:
            start = since
        elif saved.high_water is not None:
            start = saved.high_water - max(1, self._settings.lookback_seconds)
        else:
            start = end - self._settings.initial_days * 86_400
        result = StreamResult(
            "audit_logs_v2",
            "enterprise",
            high_water=saved.high_water,
            ids_at_high_water=list(saved.ids_at_high_water),
        )
        return extractor.pull_legacy_v2(result, start, end, self._settings.legacy_v2_limit)

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
        """Apply a loaded run's proposals, then mark it committed. Safe to repeat."""
        manifest = {**manifest, "status": "loaded"}
        run.write_manifest(manifest)
        failpoint("lake_written")
        for proposal in manifest.get("proposals", []):
            kind = proposal.get("kind", "cursor")
            if kind == "cursor" and proposal.get("high_water") is not None:
                self._state.advance(
                    proposal["key"],
                    int(proposal["high_water"]),
                    list(proposal["ids"]),
                    run.run_id,
                    int(proposal.get("landed", 0)),
                )
            elif kind == "backfill":
                self._backfills.record(
                    proposal["job"],
                    int(proposal["window"]),
                    proposal.get("high_water"),
                    list(proposal.get("ids", [])),
                    bool(proposal.get("done")),
                    int(proposal.get("landed", 0)),
                )
        failpoint("state_advanced")
        run.write_manifest({**manifest, "status": "committed", "committed_at": time.time()})

    def _recover(self, summary: RunSummary) -> list[str]:
        """Finish the runs that a crash left before ``committed``.

        Whatever such a run landed goes to the lake (loading is idempotent), then its durable
        progress marks are applied: a run killed mid-window resumes where it stopped.
        """
        pending = []
        for run in landed_runs(self._work):
            manifest = run.read_manifest() or {"run_id": run.run_id, "proposals": []}
            if manifest.get("status") != "committed":
                pending.append((run, manifest))
        if not pending:
            return []
        self._stage(f"finishing {len(pending)} run(s) left unfinished by a crash")
        to_load = [run for run, manifest in pending if manifest.get("status") != "loaded"]
        self._load(to_load, summary)
        for run, manifest in pending:
            log.warning("recovered run %s left in status %s", run.run_id, manifest.get("status"))
            self._commit(run, manifest)
        return [run.run_id for run, _ in pending]


def _cursor_proposal(result: StreamResult) -> dict[str, Any]:
    return {
        "kind": "cursor",
        "key": result.key,
        "high_water": result.high_water,
        "ids": result.ids_at_high_water,
        "landed": result.landed,
    }


def lake_totals(lake: str) -> dict[str, int]:
    """Rows per event table in the lake, as the views see them."""
    from queries.lake import connect

    con = connect(lake)
    try:
        totals = {}
        for table in EVENT_TABLES:
            row = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            totals[table] = int(row[0]) if row else 0
        return totals
    finally:
        con.close()
