"""The extractor against the sandbox with every fault knob on at once.

Repeated runs, with the sandbox's clock moving (new and late events) and every fault on, must
end with the lake holding exactly the sandbox's events: none missing, none twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.config import Settings
from pipeline.errors import PipelineError
from pipeline.extract.client import DevinClient, RetryPolicy, make_http_client
from pipeline.extract.windows import DAY
from pipeline.runner import Runner, RunSummary
from queries.lake import connect
from sandbox import FaultConfig, SandboxConfig, SandboxServer

NOW = 1_790_000_000.0
DAYS = 6


def run_once(srv: SandboxServer, lake: Path, **overrides) -> RunSummary:
    settings = Settings(
        api_url=srv.url,
        api_token=SecretStr(srv.admin_token),
        lake=lake,
        initial_days=DAYS,
        **overrides,
    )
    http = make_http_client(srv.url, srv.admin_token, 10)
    client = DevinClient(
        http,
        retry=RetryPolicy(max_retries=4, backoff_initial=0.01, backoff_max=0.1, retry_after_max=5),
    )
    with http:
        return Runner(settings, client, now=srv.clock.now).run()


def lake_column(lake: Path, view: str, column: str) -> list:
    con = connect(lake)
    try:
        return [r[0] for r in con.execute(f"SELECT {column} FROM {view}").fetchall()]  # noqa: S608
    finally:
        con.close()


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
    assert actions & {
        "create_widget_v9",
        "update_scim_configuration",
        "export_knowledge_bundle",
        "delete_automation_run",
        "rotate_webhook_secret",
        "create_outpost_pool",
        "update_session_retention_policy",
    }, "unknown actions were dropped"
