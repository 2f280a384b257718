"""The synthetic enterprise as the API sees it at "now": day buckets, visibility, keyset scans.

Rows are generated lazily per UTC day (`ActivityModel.day`) and filed into the bucket of the day
they were *created* in; a bucket never changes once built, so caching it is safe. Visibility is
decided at read time against the clock:

* a row is served only once `visible_at <= now` (late arrivals are timestamped in the past but
  appear later);
* rows created before `now - history_days` are past retention and never served;
* time filters: `time_after` is **inclusive** (`created_at >= time_after`) and `time_before` is
  **exclusive** (`created_at < time_before`). The real API's inclusivity is UNCONFIRMED
  (devin-api.md §1.2); this is the sandbox's choice, and an extractor must not rely on it.

Scans are keyset scans over (created_at, key): a page starts strictly after (asc) or before
(desc) the last row served, so rows that become visible between pages are picked up, never
shifting later pages. `audit_logs()`, `violations()` and the `*_ids()` helpers are the ground
truth for tests: they apply exactly the semantics the API serves.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from sandbox.activity import DAY, ActivityModel, DayActivity, Row, session_day
from sandbox.clock import Clock
from sandbox.config import SandboxConfig
from sandbox.encoding import compact_json
from sandbox.roster import Roster, build_roster

Kind = Literal["audit", "guardrail"]
KINDS: tuple[Kind, ...] = ("audit", "guardrail")
Order = Literal["asc", "desc"]
Predicate = Callable[[Row], bool]

# Violation ids: day * VIOLATION_ID_STRIDE + rank within the day, so they rise with time.
VIOLATION_ID_STRIDE = 1_000_000
_AFTER_ANY = (math.inf,)  # sorts after every row that shares its (created_at, key) prefix
_ALL = 1 << 62  # "no page limit" for ground-truth scans
# Generated days (rows plus sessions) kept; buckets hold the rows, so this only needs to cover
# building neighbouring buckets and recent session lookups.
ACTIVITY_CACHE_DAYS = 32


@dataclass(frozen=True)
class Selection:
    """Which rows a query may see (before paging): kind, scope, indexed filter, time window."""

    kind: Kind
    org_id: str | None = None
    tag: str | None = None  # action (audit) or guardrail_id (guardrail)
    session_id: str | None = None  # guardrail only
    time_after: int | None = None
    time_before: int | None = None


class Bucket:
    """The rows created in one UTC day, sorted by (created_at, key), with cached filtered views."""

    __slots__ = ("_views", "day", "rows")

    def __init__(self, day: int, rows: list[Row]) -> None:
        self.day = day
        self.rows = rows
        self._views: dict[tuple[str | None, str | None], list[Row]] = {}

    def view(self, org_id: str | None, tag: str | None) -> list[Row]:
        """Rows matching the org and tag (None = any), still sorted."""
        if org_id is None and tag is None:
            return self.rows
        key = (org_id, tag)
        found = self._views.get(key)
        if found is None:
            found = [
                r
                for r in self.rows
                if (org_id is None or r.org_id == org_id) and (tag is None or r.tag == tag)
            ]
            self._views[key] = found
        return found


@dataclass(frozen=True)
class DayStats:
    """What a bucket holds, kept after the bucket itself is evicted: enough for `total`."""

    max_visible_at: int
    counts: dict[tuple[str | None, str | None], int]  # (org_id|None, tag|None) -> rows

    @classmethod
    def of(cls, rows: list[Row]) -> DayStats:
        """Count `rows` by org, by tag, by both and in all."""
        raw: Counter[tuple[str | None, str]] = Counter((row.org_id, row.tag) for row in rows)
        # Keys use None for "any": a null org (enterprise-level row) only counts under "any".
        counts: Counter[tuple[str | None, str | None]] = Counter()
        for (org_id, tag), n in raw.items():
            counts[(None, tag)] += n
            counts[(None, None)] += n
            if org_id is not None:
                counts[(org_id, tag)] += n
                counts[(org_id, None)] += n
        return cls(max((r.visible_at for r in rows), default=0), dict(counts))


class World:
    """The enterprise, its history up to now, and the lookups the API serves from it.

    Audit buckets live in an LRU cache of `config.cache_days` days and generated days in a
    smaller one (a 400-day history is ~0.5 M rows; regenerating an evicted day costs ~15 ms
    and yields the same rows). Guardrail buckets are small and kept; so are per-day counts,
    which is what lets `total` span a year without rebuilding it.
    """

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.roster: Roster = build_roster(config)
        self.model = ActivityModel(config, self.roster)
        self._days: OrderedDict[int, DayActivity] = OrderedDict()
        self._buckets: OrderedDict[tuple[Kind, int], Bucket] = OrderedDict()
        self._stats: dict[tuple[Kind, int], DayStats] = {}
        self._lock = threading.RLock()

    # -- generation and caching --------------------------------------------------------------

    def activity(self, day: int) -> DayActivity:
        """Day `day`'s generated activity (cached; generating is deterministic)."""
        with self._lock:
            found = self._days.get(day)
            if found is None:
                found = self.model.day(day)
                self._days[day] = found
                while len(self._days) > min(self.config.cache_days, ACTIVITY_CACHE_DAYS):
                    self._days.popitem(last=False)
            else:
                self._days.move_to_end(day)
            return found

    def bucket(self, kind: Kind, day: int) -> Bucket:
        """Rows of `kind` created during UTC day `day` (from that day's and the previous day's
        generation), sorted; violations get their ids here."""
        key = (kind, day)
        with self._lock:
            found = self._buckets.get(key)
            if found is None:
                self._build_day(day)
                found = self._buckets[key]
            else:
                self._buckets.move_to_end(key)
            return found

    def _build_day(self, day: int) -> None:
        # Both kinds at once: they come from the same generated days, which may be evicted
        # before the other kind is asked for.
        for kind in KINDS:
            if (kind, day) not in self._buckets:
                built = Bucket(day, self._fill(kind, day))
                self._buckets[(kind, day)] = built
                self._stats.setdefault((kind, day), DayStats.of(built.rows))
        self._evict_buckets()

    def stats(self, kind: Kind, day: int) -> DayStats:
        """Counts for one bucket (building it if it was never built)."""
        found = self._stats.get((kind, day))
        if found is None:
            self.bucket(kind, day)
            found = self._stats[(kind, day)]
        return found

    def _evict_buckets(self) -> None:
        audit = [key for key in self._buckets if key[0] == "audit"]
        for key in audit[: max(0, len(audit) - self.config.cache_days)]:
            del self._buckets[key]

    def _fill(self, kind: Kind, day: int) -> list[Row]:
        start, end = day * DAY, (day + 1) * DAY
        rows: list[Row] = []
        for source in (day - 1, day):
            generated = self.activity(source)
            pool = generated.audit if kind == "audit" else generated.violations
            rows.extend(r for r in pool if start <= r.created_at < end)
        rows.sort()
        if kind == "guardrail":
            base = day * VIOLATION_ID_STRIDE
            rows = [_number(row, base + rank) for rank, row in enumerate(rows, 1)]
        return rows

    def warm(self, stop: threading.Event | None = None) -> None:
        """Build every retained day, oldest first (so the LRU ends up holding the recent days
        incremental pulls ask for), making the first unfiltered query quick.

        Meant for a background thread; returns early when `stop` is set.
        """
        now = self.clock.now()
        lo, hi = self.bounds(None, None, now)
        for day in range(lo // DAY, (hi - 1) // DAY + 1):
            if stop is not None and stop.is_set():
                return
            self.stats("audit", day)

    # -- time --------------------------------------------------------------------------------

    def bounds(
        self, time_after: int | None, time_before: int | None, now: float
    ) -> tuple[int, int]:
        """The servable created_at range [lo, hi) for these filters at `now`."""
        lo = math.ceil(now - self.config.history_days * DAY)
        if time_after is not None:
            lo = max(lo, time_after)
        hi = math.floor(now) + 1  # nothing created after now can be visible
        if time_before is not None:
            hi = min(hi, time_before)
        return lo, hi

    # -- scans -------------------------------------------------------------------------------

    def scan(
        self,
        selection: Selection,
        order: Order,
        after: tuple[int, Any] | None,
        limit: int,
        predicate: Predicate | None = None,
    ) -> tuple[list[Row], bool]:
        """Up to `limit` visible rows strictly past `after` in `order`; and whether more exist."""
        now = self.clock.now()
        lo, hi = self.bounds(selection.time_after, selection.time_before, now)
        pred = self._predicate(selection, predicate)
        out: list[Row] = []
        if lo >= hi:
            return out, False
        want = limit + 1
        if order == "asc":
            first_day = max(lo, after[0] if after else lo) // DAY
            for day in range(first_day, (hi - 1) // DAY + 1):
                rows = self.bucket(selection.kind, day).view(selection.org_id, selection.tag)
                i = bisect_left(rows, (lo,))
                if after is not None:
                    i = max(i, bisect_right(rows, (after[0], after[1], *_AFTER_ANY)))
                for row in rows[i:]:
                    if row.created_at >= hi:
                        return out, False
                    if row.visible_at > now or (pred is not None and not pred(row)):
                        continue
                    out.append(row)
                    if len(out) == want:
                        return out[:limit], True
        else:
            last_day = (min(hi - 1, after[0]) if after else hi - 1) // DAY
            for day in range(last_day, lo // DAY - 1, -1):
                rows = self.bucket(selection.kind, day).view(selection.org_id, selection.tag)
                j = bisect_left(rows, (hi,))
                if after is not None:
                    j = min(j, bisect_left(rows, (after[0], after[1])))
                for index in range(j - 1, -1, -1):
                    row = rows[index]
                    if row.created_at < lo:
                        return out, False
                    if row.visible_at > now or (pred is not None and not pred(row)):
                        continue
                    out.append(row)
                    if len(out) == want:
                        return out[:limit], True
        return out, False

    def count(self, selection: Selection, predicate: Predicate | None = None) -> int:
        """How many visible rows the selection matches in all (the envelope's `total`)."""
        now = self.clock.now()
        lo, hi = self.bounds(selection.time_after, selection.time_before, now)
        pred = self._predicate(selection, predicate)
        total = 0
        for day in range(lo // DAY, (hi - 1) // DAY + 1) if lo < hi else ():
            stats = self.stats(selection.kind, day)
            whole_day = lo <= day * DAY and (day + 1) * DAY <= hi
            if pred is None and whole_day and stats.max_visible_at <= now:
                total += stats.counts.get((selection.org_id, selection.tag), 0)
                continue
            rows = self.bucket(selection.kind, day).view(selection.org_id, selection.tag)
            i, j = bisect_left(rows, (lo,)), bisect_left(rows, (hi,))
            if pred is None and stats.max_visible_at <= now:
                total += j - i
            else:
                total += sum(
                    1
                    for row in rows[i:j]
                    if row.visible_at <= now and (pred is None or pred(row))
                )
        return total

    @staticmethod
    def _predicate(selection: Selection, extra: Predicate | None) -> Predicate | None:
        if selection.session_id is None:
            return extra
        session_id = selection.session_id
        if extra is None:
            return lambda row: row.ref == session_id
        return lambda row: row.ref == session_id and extra(row)

    # -- ground truth (tests) ----------------------------------------------------------------

    def audit_logs(
        self,
        time_after: int | None = None,
        time_before: int | None = None,
        *,
        org_id: str | None = None,
        action: str | None = None,
    ) -> list[dict[str, Any]]:
        """Copies of the audit items visible now in the range, oldest first."""
        selection = Selection("audit", org_id, action, None, time_after, time_before)
        return _copies(self.scan(selection, "asc", None, _ALL)[0])

    def violations(
        self,
        time_after: int | None = None,
        time_before: int | None = None,
        *,
        org_id: str | None = None,
        guardrail_id: str | None = None,
        session_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Copies of the guardrail violations visible now in the range, oldest first."""
        selection = Selection(
            "guardrail", org_id, guardrail_id, session_id, time_after, time_before
        )
        return _copies(self.scan(selection, "asc", None, _ALL)[0])

    def audit_log_ids(
        self, time_after: int | None = None, time_before: int | None = None
    ) -> set[str]:
        """Ids of the audit items visible now in the range (API semantics)."""
        selection = Selection("audit", time_after=time_after, time_before=time_before)
        return {row.key for row in self.scan(selection, "asc", None, _ALL)[0]}

    def violation_ids(
        self, time_after: int | None = None, time_before: int | None = None
    ) -> set[int]:
        """Ids of the guardrail violations visible now in the range (API semantics)."""
        selection = Selection("guardrail", time_after=time_after, time_before=time_before)
        return {row.key for row in self.scan(selection, "asc", None, _ALL)[0]}

    def pending(self, kind: Kind = "audit") -> list[tuple[int, dict[str, Any]]]:
        """(visible_at, item) for rows already created but not yet visible: the late arrivals
        a client cannot see yet. Oldest first by created_at."""
        now = self.clock.now()
        lo, hi = self.bounds(None, None, now)
        out = []
        for day in range(lo // DAY, (hi - 1) // DAY + 1):
            for row in self.bucket(kind, day).rows:
                if lo <= row.created_at < hi and row.visible_at > now:
                    out.append((row.visible_at, orjson.loads(row.raw)))
        return out

    # -- enrichment --------------------------------------------------------------------------

    def session(self, devin_id: str, org_id: str | None = None) -> dict[str, Any] | None:
        """The SessionResponse for a session id the world has emitted, or None (404).

        Deleted sessions (about 3%), sessions not yet created and ids from outside the
        generated range answer None. Only the session's generating day is built.
        """
        day = session_day(devin_id)
        now = self.clock.now()
        if day is None or day > math.floor(now) // DAY:
            return None
        if day < (now - self.config.history_days * DAY) // DAY - 2:
            return None
        record = self.activity(day).sessions.get(devin_id)
        if record is None or record.deleted or record.created_at > now:
            return None
        if org_id is not None and record.org_id != org_id:
            return None
        return record.response(now)

    def org_ids(self) -> set[str]:
        """Every organization id in the enterprise."""
        return {org.org_id for org in self.roster.orgs}


def _number(row: Row, violation_id: int) -> Row:
    item = {"violation_id": violation_id, **orjson.loads(row.raw)}
    return Row(
        row.created_at, violation_id, row.visible_at, row.org_id, row.tag, row.ref,
        compact_json(item),
    )  # fmt: skip


def _copies(rows: list[Row]) -> list[dict[str, Any]]:
    # Decoded from the served bytes: the same values the API serves, and fresh objects.
    return [orjson.loads(row.raw) for row in rows]
