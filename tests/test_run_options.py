"""Run options that reach the Beam pipeline: the runner comes from standard Beam options."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.errors import ConfigError
from sandbox import SandboxConfig, SandboxServer
from tests.conftest import FROZEN_NOW
from tests.helpers import lake_column, runner_for

DAYS = 3


def test_a_run_on_beams_portable_runner_lands_exactly_the_sandbox_events(tmp_path: Path) -> None:
    # The way Flink and Spark run it: a job service (here embedded) and SDK workers (loopback).
    portable = "--runner=PortableRunner --job_endpoint=embed --environment_type=LOOPBACK"
    config = SandboxConfig(seed=3, history_days=DAYS + 1, clock_start=FROZEN_NOW)
    with (
        SandboxServer(config, warm=False) as srv,
        runner_for(srv, tmp_path, initial_days=DAYS, beam_args=portable) as runner,
    ):
        summary = runner.run()
        start = int(srv.clock.now()) + 1 - DAYS * 86_400
        audit = srv.world.audit_log_ids(time_after=start)
        violations = srv.world.violation_ids(time_after=start)
    assert summary.new_rows["audit_logs"] == len(audit) > 0
    assert sorted(lake_column(tmp_path, "audit_logs", "audit_log_id")) == sorted(audit)
    assert sorted(lake_column(tmp_path, "guardrail_violations", "violation_id")) == sorted(
        violations
    )


def test_beam_args_are_split_like_a_shell_and_bad_ones_say_so() -> None:
    settings = Settings(beam_args="--runner=FlinkRunner --flink_master='host:8081'")
    assert settings.beam_argv == ["--runner=FlinkRunner", "--flink_master=host:8081"]
    with pytest.raises(ConfigError, match="DEVIN_BEAM_ARGS"):
        _ = Settings(beam_args="--job_name='unterminated").beam_argv


def test_an_unknown_runner_stops_the_run_before_it_pulls(tmp_path: Path) -> None:
    config = SandboxConfig(seed=3, history_days=2, clock_start=FROZEN_NOW)
    with (
        SandboxServer(config, warm=False) as srv,
        pytest.raises(ConfigError, match="NoSuchRunner"),
        runner_for(srv, tmp_path, beam_args="--runner=NoSuchRunner"),
    ):
        pass
    assert not (tmp_path / "_landing").exists()
