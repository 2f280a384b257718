"""The command line as a user meets it: help texts, a sandbox run, SQL in three formats."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "pipeline"]


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DEVIN_")}
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("command", [[], ["run"], ["sql"], ["sandbox"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout
    assert len(result.stdout.split()) > 30


@pytest.fixture(scope="module")
def sandbox_lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("cli") / "lake"
    env = {"DEVIN_INITIAL_DAYS": "3"}
    first = cli("run", "--lake", str(lake), env=env)
    second = cli("run", "--lake", str(lake), env=env)
    return lake, first, second


def test_run_without_token_uses_the_sandbox_and_summarizes(sandbox_lake) -> None:
    _lake, first, second = sandbox_lake
    assert first.returncode == 0, first.stderr
    assert "embedded sandbox" in first.stderr
    for text in ("audit_logs", "guardrail_violations", "Lake:", "devin-audit sql"):
        assert text in first.stdout
    assert second.returncode == 0, second.stderr


def test_sql_json_is_one_array_of_row_objects(sandbox_lake) -> None:
    lake = sandbox_lake[0]
    result = cli(
        "sql",
        "--lake",
        str(lake),
        "--format",
        "json",
        "SELECT source, count(*) AS n, max(event_time) AS last FROM events "
        "GROUP BY source ORDER BY source",
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["source"] for r in rows] == ["audit_log", "guardrail_violation"]
    assert all(r["n"] > 0 for r in rows)
    assert rows[0]["last"].endswith("Z")


def test_sql_csv_and_table(sandbox_lake) -> None:
    lake = sandbox_lake[0]
    result = cli(
        "sql",
        "--lake",
        str(lake),
        "--format",
        "csv",
        "SELECT audit_log_id, action FROM audit_logs ORDER BY created_at LIMIT 3",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["audit_log_id", "action"] and len(rows) == 4
    table = cli("sql", "--lake", str(lake), "SELECT count(*) AS n FROM guardrail_violations")
    assert table.returncode == 0 and "1 row(s)" in table.stdout


def test_sql_errors_are_reported_not_raised(sandbox_lake) -> None:
    result = cli("sql", "--lake", str(sandbox_lake[0]), "SELECT * FROM no_such_table")
    assert result.returncode == 1
    assert "SQL error" in result.stderr and "Traceback" not in result.stderr


def test_sql_on_a_missing_lake_says_what_to_do(tmp_path) -> None:
    result = cli("sql", "--lake", str(tmp_path / "nope"), "SELECT 1")
    assert result.returncode == 1 and "devin-audit run" in result.stderr


def test_a_legacy_key_is_refused_with_advice(tmp_path) -> None:
    result = cli(
        "run",
        "--lake",
        str(tmp_path),
        env={"DEVIN_API_URL": "http://127.0.0.1:9", "DEVIN_API_TOKEN": "apk_user_FAKE"},
    )
    assert result.returncode == 1
    assert "cog_" in result.stderr and "apk_user_FAKE" not in result.stderr + result.stdout


def test_run_summary_counts_actions_it_does_not_know(make_sandbox, tmp_path) -> None:
    import time

    from sandbox import FaultConfig

    sandbox = make_sandbox(clock_start=time.time())  # the CLI's clock is the real one
    sandbox.set_faults(FaultConfig(unknown_actions=0.2))
    env = {
        "DEVIN_API_URL": sandbox.url,
        "DEVIN_API_TOKEN": sandbox.admin_token,
        "DEVIN_INITIAL_DAYS": "1",
    }
    result = cli("run", "--lake", str(tmp_path / "lake"), env=env)
    assert result.returncode == 0, result.stderr
    summary = " ".join(result.stdout.split())
    assert "events carry an action this version does not know" in summary
    count = int(summary.split(" events carry an action")[0].split()[-1].replace(",", ""))
    query = "SELECT count(*) AS n FROM events WHERE category = 'other'"
    rows = cli("sql", "--lake", str(tmp_path / "lake"), "-f", "json", query)
    assert json.loads(rows.stdout) == [{"n": count}] and count > 0
