"""The extractor against the sandbox with every fault knob on at once.

Repeated runs, with the sandbox's clock moving (new and late events) and every fault on, must
end with the lake holding exactly the sandbox's events: none missing, none twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.extract.windows import DAY
from pipeline.runner import RunSummary
from sandbox import FaultConfig, SandboxConfig, SandboxServer
from sandbox.faults import UNKNOWN_ACTIONS
from tests.helpers import lake_column, runner_for

NOW = 1_790_000_000.0
DAYS = 6


def run_once(srv: SandboxServer, lake: Path) -> RunSummary:
    with runner_for(srv, lake, initial_days=DAYS) as runner:
        return runner.run()


def test_every_fault_at_once_still_lands_every_event_exactly_once(tmp_path) -> None:
    config = SandboxConfig(
        seed=3,
        history_days=15,
        clock_start=NOW,
        max_late_seconds=300,
        faults=FaultConfig.chaos(seed=9),
    )
    lake = tmp_path / "lake"
    failures = 0
    summaries: list[RunSummary] = []
    with SandboxServer(config, host="127.0.0.1", port=0) as srv:
        start = int(srv.clock.now()) + 1 - DAYS * DAY
        for _ in range(3):
            try:
                summaries.append(run_once(srv, lake))
            except PipelineError:
                failures += 1  # a run may give up; the next one must pick up the pieces
            srv.clock.advance(1800)  # new events arrive, some of them late
        for _ in range(5):  # and then runs until one completes
            try:
                summaries.append(run_once(srv, lake))
                break
            except PipelineError:
                failures += 1
        else:
            pytest.fail("no run completed under chaos in 5 attempts")
        audit = srv.world.audit_log_ids(time_after=start)
        violations = srv.world.violation_ids(time_after=start)
    got = lake_column(lake, "audit_logs", "audit_log_id")
    assert len(got) == len(set(got)), "an audit log entry landed twice"
    assert set(got) == audit, (len(set(got) - audit), len(audit - set(got)))
    got_v = lake_column(lake, "guardrail_violations", "violation_id")
    assert len(got_v) == len(set(got_v)) and set(got_v) == violations
    assert sum(s.retries for s in summaries) > 0  # the faults really happened
    recoveries = sum(r.recoveries for s in summaries for r in s.streams)
    assert recoveries > 0  # and paging really had to recover from broken cursors
    actions = set(lake_column(lake, "audit_logs", "action"))
    assert actions & set(UNKNOWN_ACTIONS), "unknown actions were dropped"
