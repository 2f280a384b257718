"""Incremental extraction of one run: event streams by time window, then the dimensions.

The extractor only lands what it pulls; it never moves the state itself. It proposes, per stream
and scope, the high-water mark it reached (``StreamResult``), and the run applies that proposal
after the lake has committed the rows (see ``pipeline.runner``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import ForbiddenError, NotFoundError
from pipeline.extract.client import DevinClient, Page
from pipeline.extract.landing import LandingRun, Provenance
from pipeline.extract.legacy import V2_PATH, iter_v2_pages
from pipeline.extract.pages import PagingStats, _created_at, iter_pages
from pipeline.extract.state import StateStore, stream_key
from pipeline.extract.streams import DIMENSIONS, SESSION_PATH, Stream
from pipeline.extract.windows import DAY, split
from pipeline.failpoints import failpoint

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int], None]
CheckpointFn = Callable[["StreamResult"], None]


@dataclass(frozen=True)
class ExtractOptions:
    """The knobs of extraction, taken from Settings at the entry point."""

    page_size: int = 200
    window_days: int = 30
    lookback_seconds: int = 600
    initial_days: int = 30
    max_pages_per_window: int = 100_000
    session_workers: int = 4
    checkpoint_pages: int = 25  # landed pages between two durable progress marks


@dataclass
class StreamResult:
    """What one stream in one scope yielded in this run, and the mark it proposes."""

    stream: str
    scope: str
    path: str = ""
    windows: int = 0
    windows_done: int = 0
    pages: int = 0
    landed: int = 0
    duplicates_dropped: int = 0
    recoveries: int = 0
    high_water: int | None = None
    ids_at_high_water: list[str] = field(default_factory=list)
    session_ids: set[str] = field(default_factory=set)  # referenced by landed records

    @property
    def key(self) -> str:
        return stream_key(self.stream, self.scope)


@dataclass
class DimensionResult:
    """Dimension snapshots landed in this run."""

    landed: dict[str, int] = field(default_factory=dict)
    sessions_unavailable: int = 0
    sessions_looked_up: dict[str, bool] = field(default_factory=dict)  # id -> found
    sessions_cached: int = 0
    warnings: list[str] = field(default_factory=list)


class Extractor:
    """Pulls the event streams and dimensions of one run into its landing directory."""

    def __init__(
        self,
        client: DevinClient,
        state: StateStore,
        landing: LandingRun,
        options: ExtractOptions,
        *,
        now: Callable[[], float] = time.time,
        progress: ProgressFn | None = None,
    ) -> None:
        self._client = client
        self._state = state
        self._landing = landing
        self._opt = options
        self._now = now
        self._progress = progress or (lambda _stream, _n: None)

    # -- event streams -----------------------------------------------------------------------

    def pull_stream(
        self,
        stream: Stream,
        scope: str = "enterprise",
        *,
        since: int | None = None,
        checkpoint: CheckpointFn | None = None,
    ) -> StreamResult:
        """Pull every record of ``stream`` after its checkpoint (or ``since``) up to now."""
        saved = self._state.get(stream_key(stream.name, scope))
        end = int(self._now()) + 1
        if since is not None:
            start = since
        elif saved.high_water is not None:
            start = saved.high_water - max(1, self._opt.lookback_seconds)
        else:
            start = end - self._opt.initial_days * DAY
        result = StreamResult(
            stream.name,
            scope,
            high_water=saved.high_water,
            ids_at_high_water=list(saved.ids_at_high_water),
        )
        return self.pull_range(stream, result, start, end, checkpoint=checkpoint)

    def pull_range(
        self,
        stream: Stream,
        result: StreamResult,
        start: int,
        end: int,
        *,
        filters: dict[str, str] | None = None,
        checkpoint: CheckpointFn | None = None,
    ) -> StreamResult:
        """Pull ``[start, end)`` in sequential windows (``order=asc``), landing what is new.

        ``result`` carries the mark to start from (ids at ``result.high_water`` are known and
        dropped) and is updated in place. ``checkpoint`` is called after landed pages are durable,
        every ``checkpoint_pages`` pages and at the end, so a killed run can resume from there.
        """
        scope = result.scope
        result.path = result.path or self._resolve_path(stream, scope, end)
        known = set(result.ids_at_high_water)
        at_high_water = set(known)
        seen: set[str] = set()
        windows = split(start, end, self._opt.window_days)
        result.windows += len(windows)
        handle = self._landing.open(stream.name, scope.replace(":", "_"))
        try:
            for window in windows:
                stats = PagingStats()
                params: dict[str, Any] = {
                    "order": "asc",
                    "time_after": window.start,
                    "time_before": window.end,
                    **(filters or {}),
                }
                for page, items in iter_pages(
                    self._client,
                    result.path,
                    params,
                    page_size=self._opt.page_size,
                    max_pages=self._opt.max_pages_per_window,
                    stats=stats,
                ):
                    fresh = []
                    for item in items:
                        rid = item.get(stream.id_field)
                        ts = item.get("created_at")
                        if type(ts) is not int or ts > 10**12:  # the common case costs nothing
                            ts = _created_at(item)
                        if rid is not None and ts is not None:
                            rid = str(rid)
                            if result.high_water is None or ts > result.high_water:
                                result.high_water, at_high_water = ts, {rid}
                            elif ts == result.high_water:
                                at_high_water.add(rid)
                            if rid in known or rid in seen:
                                result.duplicates_dropped += 1
                                continue
                            seen.add(rid)
                        fresh.append(item)  # records without id or time still land: dead letters
                        if item.get("session_id"):
                            result.session_ids.add(str(item["session_id"]))
                    if fresh:
                        handle.write(
                            fresh,
                            self._provenance(page, scope, window.start, window.end, stats.pages),
                        )
                        result.landed += len(fresh)
                        self._progress(stream.name, len(fresh))
                        failpoint("page_landed")
                    result.ids_at_high_water = sorted(at_high_water)
                    if checkpoint and stats.pages % self._opt.checkpoint_pages == 0:
                        handle.sync()
                        checkpoint(result)
                result.pages += stats.pages
                result.recoveries += stats.recoveries
                result.windows_done += 1
                handle.sync()
                if checkpoint:
                    checkpoint(result)
        finally:
            handle.close()
        return result

    def pull_legacy_v2(
        self, result: StreamResult, start: int, end: int, limit: int
    ) -> StreamResult:
        """Pull the legacy v2 audit log for ``[start, end)`` (seconds); see ``legacy.py``."""
        result.path = V2_PATH
        known = set(result.ids_at_high_water)
        at_high_water = set(known)
        handle = self._landing.open("audit_logs_v2", result.scope.replace(":", "_"))
        try:
            for number, (page, items) in enumerate(
                iter_v2_pages(self._client, start * 1000, end * 1000, limit=limit), start=1
            ):
                fresh = []
                for item in items:
                    rid, ts = item.get("audit_log_id"), _created_at(item)
                    if rid is not None and ts is not None:
                        rid = str(rid)
                        if result.high_water is None or ts > result.high_water:
                            result.high_water, at_high_water = ts, {rid}
                        elif ts == result.high_water:
                            at_high_water.add(rid)
                        if rid in known:
                            result.duplicates_dropped += 1
                            continue
                    fresh.append(item)
                if fresh:
                    handle.write(fresh, self._provenance(page, result.scope, start, end, number))
                    result.landed += len(fresh)
                    self._progress("audit_logs_v2", len(fresh))
                result.pages += 1
        finally:
            handle.close()
        result.windows += 1
        result.windows_done += 1
        result.ids_at_high_water = sorted(at_high_water)
        return result

    def _resolve_path(self, stream: Stream, scope: str, now: int) -> str:
        """The first configured path that answers (paths move from beta to GA over time)."""
        last: NotFoundError | None = None
        for candidate in stream.paths:
            path = candidate
            if scope.startswith("org:"):
                path = stream.org_path(candidate, scope.removeprefix("org:"))
            try:
                self._client.get(
                    path, {"first": 1, "order": "asc", "time_after": now - 60, "time_before": now}
                )
            except NotFoundError as err:
                last = err
                continue
            return path
        assert last is not None
        last.hint = (
            f"None of the configured paths for {stream.name} exist ({', '.join(stream.paths)})"
            + (" or the org does not exist" if scope.startswith("org:") else "")
            + "; set DEVIN_AUDIT_LOG_PATHS / DEVIN_GUARDRAIL_PATHS."
        )
        raise NotFoundError(last.status, last.title, last.detail, path=last.path, hint=last.hint)

    def _provenance(
        self, page: Page, scope: str, start: int | None, end: int | None, number: int
    ) -> Provenance:
        return Provenance(
            run_id=self._landing.run_id,
            scope=scope,
            window_start=start,
            window_end=end,
            page=number,
            request_id=page.request_id,
            fetched_at=page.fetched_at,
            path=page.path,
        )

    # -- dimensions --------------------------------------------------------------------------

    def pull_dimensions(
        self, session_ids: Iterable[str], *, sessions: bool = True
    ) -> DimensionResult:
        """Land orgs, users, service users, and the sessions named in ``session_ids``.

        Enrichment is optional: a missing permission is a warning, not a failed run.
        """
        result = DimensionResult()
        for name, (path, _id_field) in DIMENSIONS.items():
            handle = self._landing.open(name, "snapshot")
            stats = PagingStats()
            try:
                for page, items in iter_pages(
                    self._client,
                    path,
                    {},
                    page_size=self._opt.page_size,
                    time_field=None,
                    stats=stats,
                ):
                    handle.write(
                        items, self._provenance(page, "enterprise", None, None, stats.pages)
                    )
                    result.landed[name] = result.landed.get(name, 0) + len(items)
            except ForbiddenError as err:
                result.warnings.append(f"{name} not enriched: {err.hint}")
            finally:
                handle.close()
        if sessions:
            self._pull_sessions(sorted(set(session_ids)), result)
        return result

    def _pull_sessions(self, session_ids: list[str], result: DimensionResult) -> None:
        if not session_ids:
            return

        def fetch(session_id: str) -> Page | None:
            devin_id = session_id if session_id.startswith("devin-") else f"devin-{session_id}"
            try:
                return self._client.get(SESSION_PATH.format(devin_id=devin_id))
            except NotFoundError:
                return None  # deleted or not visible: "unavailable", not a failure

        handle = self._landing.open("sessions", "lookup")
        try:
            with ThreadPoolExecutor(max_workers=self._opt.session_workers) as pool:
                pages = pool.map(fetch, session_ids)
                for number, (session_id, page) in enumerate(
                    zip(session_ids, pages, strict=True), start=1
                ):
                    result.sessions_looked_up[session_id] = page is not None
                    if page is None:
                        result.sessions_unavailable += 1
                        continue
                    if isinstance(page.body, dict):
                        handle.write(
                            [page.body], self._provenance(page, "enterprise", None, None, number)
                        )
                        result.landed["sessions"] = result.landed.get("sessions", 0) + 1
        except ForbiddenError as err:
            result.warnings.append(f"sessions not enriched: {err.hint}")
        finally:
            handle.close()
