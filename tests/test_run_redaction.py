"""Redaction and pseudonymization end to end: sandbox over HTTP → run → every lake file, export.

The sandbox marks each synthetic secret it puts in a prompt with FAKE or EXAMPLE, so a lake
that holds either marker anywhere has leaked one. The raw landing zone keeps the original
bytes (owner-only) for forensics; the lake and every export must not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pipeline.export.writer import export
from sandbox import SandboxConfig, SandboxServer
from tests.conftest import FROZEN_NOW
from tests.helpers import lake_column, runner_for

MARKERS = ("FAKE", "EXAMPLE")
KEY = "test-only-pseudonym-key-0123456789"  # not a secret: a fixture value


@pytest.fixture(scope="module")
def server():
    config = SandboxConfig(seed=5, history_days=20, clock_start=FROZEN_NOW)
    with SandboxServer(config, warm=False) as srv:
        yield srv


@pytest.fixture(scope="module")
def plain_lake(server, tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("plain")
    with runner_for(server, lake, initial_days=20) as runner:
        runner.run()
    return lake


@pytest.fixture(scope="module")
def pseudonymized_lake(server, tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("pseudonymized")
    with runner_for(server, lake, initial_days=20, pseudonym_key=KEY) as runner:
        runner.run()
    return lake


def _lake_files(lake: Path) -> list[Path]:
    return [p for p in lake.rglob("*.parquet") if "_landing" not in p.parts]


def _strings(path: Path) -> list[pa.ChunkedArray]:
    table = pq.read_table(path)
    return [table[f.name] for f in table.schema if pa.types.is_string(f.type)]


def _holding(lake: Path, needle: str) -> list[str]:
    """``table/column`` of every lake column that has ``needle`` in some value."""
    found = []
    for path in _lake_files(lake):
        table = pq.read_table(path)
        for field in table.schema:
            if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                if pc.any(pc.match_substring(table[field.name], needle)).as_py():
                    found.append(f"{path.relative_to(lake).parts[0]}/{field.name}")
    return sorted(set(found))


def test_the_sandbox_sent_secrets_and_the_landing_zone_keeps_them(plain_lake: Path) -> None:
    landed = b"".join(p.read_bytes() for p in (plain_lake / "_landing").rglob("*.ndjson"))
    assert any(marker.encode() in landed for marker in MARKERS), "no secrets to redact"
    for path in (plain_lake / "_landing").rglob("*.ndjson"):
        assert path.stat().st_mode & 0o077 == 0, path


def test_no_lake_table_holds_a_secret(plain_lake: Path) -> None:
    assert _lake_files(plain_lake)
    for marker in MARKERS:
        assert _holding(plain_lake, marker) == [], marker


def test_secrets_became_typed_placeholders(plain_lake: Path) -> None:
    messages = lake_column(
        plain_lake, "guardrail_violations", "user_message", "user_message LIKE '%[REDACTED:%'"
    )
    assert messages
    kinds = {m.split("[REDACTED:", 1)[1].split("]", 1)[0] for m in messages}
    assert kinds & {"aws_access_key", "github_token", "private_key", "password_in_url"}


@pytest.mark.parametrize("fmt", ["ocsf", "ecs", "json"])
def test_exports_hold_no_secret(plain_lake: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"events.{fmt}.ndjson"
    written = export(str(plain_lake), fmt, out, include_user_message=True)  # type: ignore[arg-type]
    text = out.read_text(encoding="utf-8")
    assert written > 0
    if fmt != "json":  # the json format is the events table, which has no message
        assert "[REDACTED:" in text
    for marker in MARKERS:
        assert marker not in text


def test_pseudonymized_emails_everywhere_and_joins_still_work(pseudonymized_lake: Path) -> None:
    for view, column in (
        ("audit_logs", "user_email"),
        ("events", "actor_email"),
        ("users", "email"),
    ):
        values = [v for v in lake_column(pseudonymized_lake, view, column) if v is not None]
        assert values, (view, column)
        assert all(v.startswith("pseud:") for v in values), (view, column)
    # One key for every table: the same person has the same pseudonym in each.
    joined = lake_column(
        pseudonymized_lake,
        "events e JOIN users u ON e.actor_email = u.email",
        "count(*)",
    )
    assert joined[0] > 0
    email_columns = {"email", "user_email", "actor_email"}
    leaked = [c for c in _holding(pseudonymized_lake, "@") if c.split("/")[1] in email_columns]
    assert leaked == []
    assert _holding(pseudonymized_lake, KEY) == []


def test_the_plain_lake_keeps_emails(plain_lake: Path) -> None:
    emails = [v for v in lake_column(plain_lake, "users", "email") if v]
    assert emails and all("@" in e for e in emails)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEVIN_PSEUDONYM_KEY": "short-key"}, "at least 16 characters"),
        ({"DEVIN_REDACTION_POLICY": "missing-policy.json"}, "cannot read the redaction policy"),
    ],
)
def test_a_bad_policy_stops_the_run_before_it_pulls(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--lake", str(tmp_path / "lake")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, **env},
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert expected in output
    assert "short-key" not in output  # the key is never echoed
    assert "Traceback" not in output
    assert not (tmp_path / "lake" / "_landing").exists()
