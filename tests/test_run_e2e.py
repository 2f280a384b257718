"""End to end: sandbox over real HTTP → extractor → landing → Beam → Parquet → DuckDB views.

The lake must hold exactly the sandbox's events for the pulled range: none missing, none twice.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pipeline.extract.windows import DAY
from pipeline.runner import RunSummary
from queries.lake import connect
from sandbox import SandboxConfig, SandboxServer
from tests.helpers import lake_column, runner_for

NOW = 1_790_000_000.0  # a frozen sandbox clock (2026-09-21)
DAYS = 20


@pytest.fixture(scope="module")
def server():
    config = SandboxConfig(seed=11, history_days=60, clock_start=NOW, max_late_seconds=300)
    with SandboxServer(config, host="127.0.0.1", port=0) as srv:
        yield srv


def run_once(srv: SandboxServer, lake: Path, **overrides) -> RunSummary:
    with runner_for(srv, lake, initial_days=DAYS, **overrides) as runner:
        return runner.run()


def lake_ids(lake: Path, view: str, column: str) -> list:
    return lake_column(lake, view, column)


def expected(srv: SandboxServer, start: float) -> tuple[set[str], set[int]]:
    return (
        srv.world.audit_log_ids(time_after=int(start)),
        srv.world.violation_ids(time_after=int(start)),
    )


@pytest.fixture(scope="module")
def two_runs(server, tmp_path_factory):
    """Run, let the sandbox's clock move on an hour, run again."""
    lake = tmp_path_factory.mktemp("lake")
    start = int(server.clock.now()) + 1 - DAYS * DAY
    first = run_once(server, lake)
    first_expected = expected(server, start)
    server.clock.advance(3600)
    second = run_once(server, lake)
    second_expected = expected(server, start)
    return lake, first, first_expected, second, second_expected


def test_first_run_lands_exactly_the_sandbox_events(two_runs) -> None:
    _lake, first, (audit, violations), _second, _ = two_runs
    assert first.new_rows["audit_logs"] == len(audit) > 1000
    assert first.new_rows["guardrail_violations"] == len(violations) > 10


def test_second_run_adds_only_new_events_and_nothing_twice(two_runs) -> None:
    lake, _first, (audit1, viol1), second, (audit2, viol2) = two_runs
    assert audit2 > audit1  # the sandbox produced new events meanwhile
    assert second.new_rows["audit_logs"] == len(audit2 - audit1)
    assert second.new_rows.get("guardrail_violations", 0) == len(viol2 - viol1)
    got_audit = lake_ids(lake, "audit_logs", "audit_log_id")
    got_viol = lake_ids(lake, "guardrail_violations", "violation_id")
    assert len(got_audit) == len(set(got_audit)) and set(got_audit) == audit2
    assert len(got_viol) == len(set(got_viol)) and set(got_viol) == viol2
    events = lake_ids(lake, "events", "event_id")
    assert len(events) == len(set(events)) == len(audit2) + len(viol2)


def test_state_moved_forward_after_the_lake(two_runs) -> None:
    lake, first, _, second, _ = two_runs
    marks = {r.key: r.high_water for r in second.streams}
    assert (
        marks["audit_logs@enterprise"]
        > {r.key: r.high_water for r in first.streams}["audit_logs@enterprise"]
    )
    state = lake / "_state" / "state.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


def test_landing_zone_is_owner_only_and_keeps_provenance(two_runs) -> None:
    lake = two_runs[0]
    landing = lake / "_landing"
    for path in [landing, *landing.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is readable by others ({oct(mode)})"
    con = connect(lake)
    try:
        row = con.execute("SELECT _run_id, _request_id, _page FROM audit_logs LIMIT 1").fetchone()
    finally:
        con.close()
    assert row[0] and row[1] and row[2] >= 1


def test_views_follow_the_contract(two_runs) -> None:
    con = connect(two_runs[0])
    try:
        types = dict(
            con.execute("SELECT column_name, column_type FROM (DESCRIBE audit_logs)").fetchall()
        )
        assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
        assert types["data"] == "JSON"
        for column in (
            "audit_log_id",
            "action",
            "org_id",
            "user_id",
            "user_email",
            "service_user_id",
            "service_user_name",
        ):
            assert column in types
        gv = {r[0] for r in con.execute("DESCRIBE guardrail_violations").fetchall()}
        assert {
            "violation_id",
            "event_id",
            "session_id",
            "org_id",
            "guardrail_id",
            "guardrail_name",
            "action_taken",
            "confidence_score",
            "reasoning",
            "user_message",
            "created_at",
        } <= gv
        ev = {r[0] for r in con.execute("DESCRIBE events").fetchall()}
        assert {
            "event_id",
            "source",
            "source_id",
            "event_time",
            "org_id",
            "actor_id",
            "action",
            "severity",
        } <= ev
        sources = dict(con.execute("SELECT source, count(*) FROM events GROUP BY 1").fetchall())
        assert set(sources) == {"audit_log", "guardrail_violation"}
        # every violation is also in the audit log as ai_guardrail_violation
        n = con.execute(
            "SELECT count(*) FROM audit_logs WHERE action = 'ai_guardrail_violation'"
        ).fetchone()[0]
        assert n >= sources["guardrail_violation"] * 0.9
    finally:
        con.close()


def test_dimensions_landed(two_runs) -> None:
    lake, first, *_ = two_runs
    assert first.dimensions.landed["orgs"] >= 2
    assert first.dimensions.landed["users"] >= 100
    assert first.dimensions.landed["sessions"] >= 1
    con = connect(lake)
    try:
        assert (
            con.execute("SELECT count(*) FROM orgs").fetchone()[0]
            == first.dimensions.landed["orgs"]
        )
    finally:
        con.close()


def test_a_run_that_died_after_landing_is_finished_by_the_next(server, tmp_path) -> None:
    """Kill between extraction and load: the next run loads what was landed, nothing twice."""
    import pipeline.runner as runner_mod

    lake = tmp_path / "lake"
    original = runner_mod._load_many

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # stands in for SIGKILL between landing and the lake write

    runner_mod._load_many = crash
    try:
        with pytest.raises(KeyboardInterrupt):
            run_once(server, lake)
    finally:
        runner_mod._load_many = original
    assert not (lake / "_state" / "state.json").exists()  # the state did not move
    summary = run_once(server, lake)
    assert len(summary.recovered_runs) == 1
    start = int(server.clock.now()) + 1 - DAYS * DAY
    audit, _ = expected(server, start)
    got = lake_ids(lake, "audit_logs", "audit_log_id")
    assert len(got) == len(set(got)) and set(got) == audit
    assert os.path.exists(lake / "_state" / "state.json")
