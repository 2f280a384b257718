"""Crash safety: SIGKILL the real CLI process anywhere, rerun, and the lake is exact.

The sandbox runs in this process on loopback with a frozen clock; `devin-audit` runs as a child
process and is killed either at a named failpoint (``pipeline/failpoints.py``) or after a random
delay (mid-page, mid-write, mid-Beam). After all that, one clean run must leave the lake holding
exactly the sandbox's events, each once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.extract.backfill import BackfillStore
from pipeline.extract.windows import DAY
from sandbox import SandboxConfig, SandboxServer
from tests.helpers import lake_column, runner_for

CLI = [sys.executable, "-m", "pipeline"]


def cli_env(srv: SandboxServer, lake: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEVIN_")}
    env.update(
        DEVIN_API_URL=srv.url,
        DEVIN_API_TOKEN=srv.admin_token,
        DEVIN_LAKE=str(lake),
        DEVIN_REQUESTS_PER_SECOND="0",
        **extra,
    )
    return env


def lake_ids(lake: Path, view: str, column: str) -> list:
    return lake_column(lake, view, column)


def assert_exact(lake: Path, srv: SandboxServer, since: int, until: int | None = None) -> None:
    """No duplicates at all, nothing foreign, and every sandbox event of the range present."""
    audit = lake_ids(lake, "audit_logs", "audit_log_id")
    assert len(audit) == len(set(audit)), "an audit log entry landed twice"
    world_all = srv.world.audit_log_ids()
    assert set(audit) <= world_all
    expected = srv.world.audit_log_ids(time_after=since, time_before=until)
    missing = expected - set(audit)
    if missing:
        times = sorted(
            item["created_at"]
            for item in srv.world.audit_logs(time_after=since, time_before=until)
            if item["audit_log_id"] in missing
        )
        now = time.time()
        raise AssertionError(
            f"{len(missing)} of {len(expected)} events missing, created {times[0] - now:+.0f} s "
            f"to {times[-1] - now:+.0f} s from now (sandbox clock {srv.clock.now() - now:+.0f} s)"
        )
    violations = lake_ids(lake, "guardrail_violations", "violation_id")
    assert len(violations) == len(set(violations))
    assert srv.world.violation_ids(time_after=since, time_before=until) <= set(violations)


@pytest.fixture(scope="module")
def lagging_sandbox():
    """A sandbox whose clock starts 12 h behind real time and is moved on by the test (at most
    40 attempts of 900 s), so new events arrive between attempts while never lying in the CLI's
    future (which no run could pull)."""
    config = SandboxConfig(
        seed=21,
        history_days=3,
        clock_start=time.time() - 12 * 3600,
        events_per_day=4000,
        max_late_seconds=60,
    )
    with SandboxServer(config, host="127.0.0.1", port=0) as srv:
        yield srv


FAILPOINTS = [
    "page_landed:1",
    "page_landed:3",
    "extracted",
    "lake_written",
    "state_advanced",
    "page_landed:2",
    "extracted",
    "lake_written",
    "state_advanced",
    "page_landed:1",
    "lake_written",
    "state_advanced",
]


def test_sigkill_at_many_points_then_rerun_finds_the_exact_id_set(lagging_sandbox, tmp_path):
    srv = lagging_sandbox
    lake = tmp_path / "lake"
    rng = random.Random(1234)
    plan: list[str | float] = [*FAILPOINTS, *(rng.uniform(0.3, 2.5) for _ in range(12))]
    rng.shuffle(plan)
    killed = 0
    outcomes: list[tuple[str | float, int | None]] = []

    def steps():
        # The plan, then (a run that ends before its timer or never reaches its failpoint is
        # not a kill) early timed kills until 20 runs were really killed, at most 16 more.
        yield from plan
        for _ in range(16):
            if killed >= 20:
                return
            yield rng.uniform(0.3, 1.2)

    for step in steps():
        extra = {"DEVIN_INITIAL_DAYS": "1"}
        if isinstance(step, str):
            extra["DEVIN_AUDIT_FAILPOINT"] = step
            proc = subprocess.run(
                [*CLI, "run"],
                env=cli_env(srv, lake, **extra),
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            code = proc.returncode
            # a failpoint that is never reached (e.g. nothing new to land) lets the run finish
            assert code in (0, -signal.SIGKILL), proc.stderr
        else:
            child = subprocess.Popen(
                [*CLI, "run"],
                env=cli_env(srv, lake, **extra),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                child.wait(timeout=step)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                child.wait()
            code = child.returncode
        killed += code == -signal.SIGKILL
        outcomes.append((step, code))
        srv.clock.advance(900)  # new (and late) events arrive between attempts
    assert killed >= 20, f"only {killed} runs were actually killed: {outcomes}"
    for point in ("page_landed:1", "extracted", "lake_written", "state_advanced"):
        assert (point, -signal.SIGKILL) in outcomes, f"never killed at {point}: {outcomes}"
    final = subprocess.run(
        [*CLI, "run"],
        env=cli_env(srv, lake, DEVIN_INITIAL_DAYS="1"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert final.returncode == 0, final.stderr
    since = int(time.time()) + 1 - DAY + 60  # the latest start any of the runs could have had
    assert_exact(lake, srv, since)


@pytest.fixture(scope="module")
def long_history():
    now = time.time()
    config = SandboxConfig(
        seed=33, history_days=260, clock_start=now, events_per_day=250, max_late_seconds=60
    )
    with SandboxServer(config, host="127.0.0.1", port=0) as srv:
        yield srv


def test_backfill_250_days_in_parallel_windows_resumes_after_a_kill(long_history, tmp_path):
    srv = long_history
    lake = tmp_path / "lake"
    until = int(srv.clock.now())
    since = until - 250 * DAY
    day = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until))
    env = cli_env(srv, lake, DEVIN_WINDOW_DAYS="90", DEVIN_AUDIT_FAILPOINT="backfill_wave:1")
    killed = subprocess.run(
        [*CLI, "backfill", "--since", day, "--until", end, "--concurrency", "4"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    jobs = BackfillStore(lake).load()
    assert len(jobs) == 2  # audit logs and guardrail violations
    for windows in jobs.values():
        assert len(windows) == 3  # 250 days in windows of 90: three windows
        # the first wave (window 1 and 2 of both streams, four in parallel) was committed
        assert [w.done for w in windows] == [True, True, False]

    # Resume in-process to see what the second attempt pulled.
    with runner_for(srv, lake, window_days=90) as runner:
        summary = runner.backfill(since, until, concurrency=4)
    assert summary.windows_total == 6 and summary.windows_total_done == 6
    resumed = [r for r in summary.streams if r.stream == "audit_logs"]
    assert len(resumed) == 1  # only the unfinished window was fetched again
    third = srv.world.audit_log_ids(time_after=since + 180 * DAY - 1, time_before=until)
    assert resumed[0].landed <= len(third) + 1
    assert all(w.done for ws in BackfillStore(lake).load().values() for w in ws)
    assert_exact(lake, srv, since, until)


def test_backfill_killed_mid_window_resumes_from_its_progress_mark(long_history, tmp_path):
    srv = long_history
    lake = tmp_path / "lake"
    until = int(srv.clock.now())
    since = until - 120 * DAY
    args = [
        "backfill",
        "--since",
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)),
        "--until",
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until)),
        "--concurrency",
        "2",
    ]
    env = cli_env(srv, lake, DEVIN_WINDOW_DAYS="60", DEVIN_AUDIT_FAILPOINT="page_landed:60")
    first = subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert first.returncode == -signal.SIGKILL, first.stderr
    env.pop("DEVIN_AUDIT_FAILPOINT")
    second = subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert second.returncode == 0, second.stderr
    assert "Finished 1" in second.stdout or "Finished 2" in second.stdout  # the dead run's pages
    jobs = BackfillStore(lake).load()
    assert all(w.done for ws in jobs.values() for w in ws)
    assert_exact(lake, srv, since, until)
