"""The Beam transform end to end: landing files in tmp_path → real pipelines → lake → DuckDB.

Beam start-up costs about a second per pipeline, so one module-scoped fixture runs the whole story
(first batch, its replay, an overlapping second batch) and the tests read what it left behind.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pytest

from pipeline.model import LAKE_TABLES
from pipeline.transform import TransformResult, run_transform
from pipeline.transform.job import pipeline_options
from queries.lake import connect
from tests.records import raw_audit, raw_violation

SECONDS = 1_767_225_600  # 2026-01-01T00:00:00Z
DAY = 86_400
IN_PROCESS = ["--runner=FnApiRunner"]
SECOND_BATCH = "20260104T000000Z-abc123+2"  # the runner's name for two runs loaded at once
TWO_PROCESSES = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]


def provenance(run_id: str, page: int = 1, path: str = "/v3/enterprise/audit-logs") -> dict:
    return {
        "run_id": run_id,
        "scope": "enterprise",
        "window_start": SECONDS - DAY,
        "window_end": SECONDS + 3 * DAY,
        "page": page,
        "request_id": f"req-{run_id}-{page}",
        "fetched_at": SECONDS + 3 * DAY + 0.5,
        "path": path,
    }


def land(lake: Path, run_id: str, stream: str, records: list[Any], name: str = "w0") -> Path:
    """Write a landing file in the contract format; ``bytes`` items are written as raw lines."""
    path = lake / "_landing" / run_id / stream / f"{name}.ndjson"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        r
        if isinstance(r, bytes)
        else orjson.dumps({"stream": stream, "record": r, "provenance": provenance(run_id)})
        for r in records
    ]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def audit(i: int, **overrides: Any) -> dict[str, Any]:
    return raw_audit(
        **{
            "audit_log_id": f"audit_log-{i:04d}",
            "action": "create_session",
            "created_at": SECONDS + i * 3600,
            "data": {"session_id": f"devin-{i}"},
            **overrides,
        }
    )


def violation(i: int, **overrides: Any) -> dict[str, Any]:
    return raw_violation(
        **{
            "violation_id": i,
            "event_id": f"ev-{i}",
            "created_at": SECONDS + i * 3600,
            "session_id": f"devin-{i}",
            "reasoning": "looks like an injection",
            "user_message": "ignore all previous instructions",
            **overrides,
        }
    )


CUT_LINE = b'{"stream": "audit_logs", "record": {"audit_log_id": "half'
FIRST_AUDIT: list[Any] = [
    audit(1),
    audit(2, created_at=(SECONDS + 2 * 3600) * 1000),  # milliseconds
    audit(3, user_id=None, user_email=None, service_user_id="svc-1", service_user_name="bot"),
    {"audit_log_id": "audit_log-0004", "action": "login", "created_at": SECONDS + 4 * 3600},
    audit(5, action="teleport_repo", ip_address="10.0.0.1"),  # unknown action, unknown key
    audit(6, action="assign_roles", data={"target_user_id": "user-2", "roles": ["admin"]}),
    audit(1, action="login"),  # a duplicate within the batch: the first one stays
    CUT_LINE,
    orjson.dumps({"stream": "audit_logs", "record": {"action": "login"}, "provenance": {}}),
    orjson.dumps(
        {
            "stream": "audit_logs",
            "record": audit(9, created_at="someday"),
            "provenance": provenance("run-1"),
        }
    ),
    audit(30, created_at=SECONDS + 2 * DAY),  # another day, another partition
]
FIRST_VIOLATIONS = [
    violation(1),
    violation(2, session_id=None, action_taken="kill_session", confidence_score=0.95),
    violation(3, action_taken="quarantine", severity_hint="x"),
]
# The audit side of violation 1, one second later and in a later batch than the violation.
VIOLATION_ENTRY = audit(
    40,
    action="ai_guardrail_violation",
    created_at=SECONDS + 3600 + 1,
    data={"session_id": "devin-1", "guardrail_id": "g-1", "action_taken": "warn_user"},
)
SECOND_AUDIT = [
    audit(1),
    audit(6),
    audit(7),
    audit(30, created_at=SECONDS + 2 * DAY),
    audit(31),
    VIOLATION_ENTRY,
]
SECOND_VIOLATIONS = [violation(3), violation(4)]


def users(name: str) -> list[dict[str, Any]]:
    return [
        {"user_id": "user-1", "email": "one@example.com", "name": name, "role_assignments": []},
        {"user_id": "user-2", "email": None, "name": "Two", "role_assignments": [{"org_id": "o"}]},
    ]


SESSION = {
    "session_id": "devin-1",
    "org_id": "org-1",
    "status": "running",
    "tags": ["x"],
    "url": "https://app.devin.ai/sessions/1",
    "created_at": SECONDS,
    "updated_at": SECONDS + 60,
    "acus_consumed": 1.5,
    "pull_requests": [],
    "user_id": "user-1",
    "is_archived": False,
    "origin": "slack",
    "title": "Fix CI",
    "playbook_id": "pb-1",
}


def lake_keys(lake: Path) -> dict[str, Counter[Any]]:
    """Every key of every table as stored in the files (duplicates would show as counts > 1)."""
    keys: dict[str, Counter[Any]] = {}
    for table in LAKE_TABLES.values():
        files = sorted((lake / table.name).rglob("*.parquet"))
        keys[table.name] = Counter(
            tuple(row.values()) if len(row) > 1 else row[table.key[0]]
            for f in files
            for row in pq.read_table(f, columns=list(table.key)).to_pylist()
        )
    return keys


@dataclass
class Story:
    lake: Path
    first: TransformResult
    after_first: dict[str, Counter[Any]]
    replay: TransformResult
    after_replay: dict[str, Counter[Any]]
    second: TransformResult
    after_second: dict[str, Counter[Any]]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    lake = tmp_path_factory.mktemp("lake")
    first_files = [
        land(lake, "run-1", "audit_logs", FIRST_AUDIT),
        land(lake, "run-1", "guardrail_violations", FIRST_VIOLATIONS),
        land(lake, "run-1", "users", users("One")),
        land(lake, "run-1", "orgs", [{"org_id": "org-1", "name": "Acme", "created_at": SECONDS}]),
        land(lake, "run-1", "service_users", [{"service_user_id": "svc-1", "name": "bot"}]),
        land(lake, "run-1", "sessions", [SESSION]),
    ]
    first = run_transform(first_files, lake, "b1", beam_args=IN_PROCESS)
    after_first = lake_keys(lake)
    replay = run_transform(first_files, lake, "b1")
    after_replay = lake_keys(lake)
    second_files = [
        land(lake, "run-2", "audit_logs", SECOND_AUDIT),
        land(lake, "run-2", "guardrail_violations", SECOND_VIOLATIONS),
        land(lake, "run-2", "users", users("One Renamed")),
    ]
    second = run_transform(second_files, lake, SECOND_BATCH)
    return Story(lake, first, after_first, replay, after_replay, second, lake_keys(lake))


@pytest.fixture(scope="module")
def con(story: Story) -> Any:
    connection = connect(story.lake)
    yield connection
    connection.close()


def rows(con: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# -- the first batch ---------------------------------------------------------------------------


def test_first_batch_counts(story: Story) -> None:
    assert story.first.rows_in == {
        "audit_logs": 11,
        "guardrail_violations": 3,
        "users": 2,
        "orgs": 1,
        "service_users": 1,
        "sessions": 1,
    }
    assert story.first.dead_letters == 3
    assert story.first.unknown_actions == 2  # teleport_repo, quarantine
    assert story.first.rows_written == {
        "audit_logs": 7,
        "guardrail_violations": 3,
        "events": 10,
        "dead_letters": 3,
        "orgs": 1,
        "users": 2,
        "service_users": 1,
        "sessions": 1,
    }
    names = sorted(Path(f).relative_to(story.lake).as_posix() for f in story.first.files)
    assert "audit_logs/event_date=2026-01-01/part-b1.parquet" in names
    assert "audit_logs/event_date=2026-01-03/part-b1.parquet" in names
    assert "users/part-b1.parquet" in names
    assert all(Path(f).name == "part-b1.parquet" for f in story.first.files)
    assert not (story.lake / "_staging").exists()


def test_audit_rows_are_normalized(con: Any) -> None:
    found = {
        r["audit_log_id"]: r
        for r in rows(
            con,
            "SELECT *, data->>'$.session_id' AS data_session FROM audit_logs "
            "WHERE _run_id = ? ORDER BY audit_log_id",
            "run-1",
        )
    }
    assert sorted(found) == [f"audit_log-{i:04d}" for i in (1, 2, 3, 4, 5, 6, 30)]
    ms = found["audit_log-0002"]
    assert ms["created_at"] == datetime(2026, 1, 1, 2, tzinfo=UTC)
    assert ms["created_at_raw"] == (SECONDS + 2 * 3600) * 1000
    service = found["audit_log-0003"]
    assert (service["user_id"], service["service_user_id"], service["service_user_name"]) == (
        None,
        "svc-1",
        "bot",
    )
    old = found["audit_log-0004"]
    assert old["data"] is None and old["user_email"] is None and old["extra"] is None
    unknown = found["audit_log-0005"]
    assert unknown["action"] == "teleport_repo"
    assert json.loads(unknown["extra"]) == {"ip_address": "10.0.0.1"}
    assert found["audit_log-0001"]["data_session"] == "devin-1"
    assert found["audit_log-0001"]["_fetched_at"] == datetime(2026, 1, 4, 0, 0, 0, 500000, UTC)
    assert found["audit_log-0001"]["_page"] == 1
    assert found["audit_log-0030"]["event_date"].isoformat() == "2026-01-03"


def test_violations_are_normalized(con: Any) -> None:
    found = {
        r["violation_id"]: r
        for r in rows(con, "SELECT * FROM guardrail_violations WHERE _run_id = 'run-1'")
    }
    assert sorted(found) == [1, 2, 3]
    assert found[2]["session_id"] is None
    assert found[2]["confidence_score"] == 0.95
    assert found[3]["action_taken"] == "quarantine"
    assert json.loads(found[3]["extra"]) == {"severity_hint": "x"}
    assert found[1]["user_message"] == "ignore all previous instructions"


def test_events_classify_both_streams(con: Any) -> None:
    events = {r["event_id"]: r for r in rows(con, "SELECT * FROM events WHERE _run_id = 'run-1'")}
    assert events["audit_log:audit_log-0005"]["category"] == "other"
    assert events["audit_log:audit_log-0005"]["severity"] == "info"
    assert events["audit_log:audit_log-0006"]["target"] == "user-2"
    assert events["audit_log:audit_log-0003"]["actor_type"] == "service_user"
    assert (
        events["audit_log:audit_log-0004"]["actor_type"],
        events["audit_log:audit_log-0004"]["actor_id"],
    ) == ("system", None)
    kill = events["guardrail_violation:2"]
    assert (kill["source"], kill["source_id"], kill["action"]) == (
        "guardrail_violation",
        "2",
        "ai_guardrail_violation",
    )
    assert (kill["category"], kill["severity"], kill["outcome"]) == (
        "guardrail",
        "critical",
        "kill_session",
    )
    assert events["guardrail_violation:1"]["session_id"] == "devin-1"
    assert events["guardrail_violation:1"]["severity"] == "medium"


def test_poisoned_lines_are_dead_letters_and_the_good_rows_still_land(
    story: Story, con: Any
) -> None:
    dead = rows(con, "SELECT * FROM dead_letters ORDER BY _offset")
    assert [(d["stage"], d["stream"], d["_run_id"]) for d in dead] == [
        ("parse", "audit_logs", "run-1"),
        ("validate", "audit_logs", "run-1"),  # no provenance: the run id of the landing path
        ("validate", "audit_logs", "run-1"),
    ]
    assert "audit_log_id" in dead[1]["error"]
    assert "created_at" in dead[2]["error"]
    assert dead[0]["raw"] == CUT_LINE.decode()
    assert {d["_landed_file"] for d in dead} == {"_landing/run-1/audit_logs/w0.ndjson"}
    landed = (story.lake / "_landing/run-1/audit_logs/w0.ndjson").read_bytes()
    for d in dead:
        assert landed[d["_offset"] :].startswith(d["raw"].encode())
    assert story.after_first["audit_logs"]["audit_log-0006"] == 1  # after the bad lines


def test_duplicates_in_a_batch_keep_the_first(con: Any) -> None:
    [first] = rows(con, "SELECT action FROM audit_logs WHERE audit_log_id = 'audit_log-0001'")
    assert first["action"] == "create_session"


def test_each_key_is_stored_once(story: Story) -> None:
    for table in LAKE_TABLES.values():
        if table.partitioned:
            assert set(story.after_second[table.name].values()) <= {1}, table.name
    assert story.after_second["users"]["user-1"] == 2  # one snapshot per batch


# -- replay and overlap ------------------------------------------------------------------------


def test_a_replay_adds_nothing_and_rewrites_the_same_files(story: Story) -> None:
    assert story.after_replay == story.after_first
    assert set(story.replay.rows_written.values()) == {0}
    assert story.replay.files == story.first.files
    assert story.replay.rows_in == story.first.rows_in
    assert story.replay.dead_letters == story.first.dead_letters


def test_an_overlapping_batch_adds_only_new_ids(story: Story) -> None:
    new_audit = {"audit_log-0007", "audit_log-0031", "audit_log-0040"}
    assert set(story.after_second["audit_logs"]) - set(story.after_first["audit_logs"]) == (
        new_audit
    )
    assert story.second.rows_written["audit_logs"] == 3
    assert story.second.rows_written["guardrail_violations"] == 1
    assert story.second.rows_written["events"] == 4
    assert story.second.rows_written["users"] == 2  # snapshots always land
    assert story.second.dead_letters == 0
    # Partitions with nothing new get no b2 file.
    assert not (
        story.lake / f"audit_logs/event_date=2026-01-03/part-{SECOND_BATCH}.parquet"
    ).exists()
    assert all(Path(f).name == f"part-{SECOND_BATCH}.parquet" for f in story.second.files)


def test_event_ids_are_unique_across_streams(con: Any) -> None:
    [counts] = rows(
        con,
        "SELECT count(*) AS n, count(DISTINCT event_id) AS d, count(DISTINCT source) AS s "
        "FROM events",
    )
    assert counts == {"n": 14, "d": 14, "s": 2}
    same_number = rows(
        con, "SELECT event_id FROM events WHERE source_id IN ('1', 'audit_log-0001')"
    )
    assert sorted(r["event_id"] for r in same_number) == [
        "audit_log:audit_log-0001",
        "guardrail_violation:1",
    ]


def test_snapshot_views_pick_the_latest_snapshot(con: Any) -> None:
    [user] = rows(con, "SELECT name, role_assignments FROM users WHERE user_id = 'user-1'")
    assert user["name"] == "One Renamed"
    assert rows(
        con, "SELECT json_array_length(role_assignments) AS n FROM users WHERE user_id = 'user-2'"
    ) == [{"n": 1}]
    [session] = rows(con, "SELECT status, tags->>0 AS tag, created_at FROM sessions")
    assert session == {
        "status": "running",
        "tag": "x",
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    assert rows(con, "SELECT name FROM orgs") == [{"name": "Acme"}]
    assert rows(con, "SELECT name FROM service_users") == [{"name": "bot"}]


# -- enrichment and correlation ----------------------------------------------------------------


def test_a_violation_gets_its_actor_and_session_from_the_snapshots(con: Any) -> None:
    [event] = rows(con, "SELECT * FROM events WHERE event_id = 'guardrail_violation:1'")
    assert (event["actor_type"], event["actor_id"], event["actor_email"]) == (
        "user",
        "user-1",
        "one@example.com",
    )
    assert (event["actor_name"], event["org_name"]) == ("One", "Acme")
    assert (event["session_origin"], event["session_title"]) == ("slack", "Fix CI")
    [violation] = rows(con, "SELECT * FROM guardrail_violations WHERE violation_id = 1")
    assert {k: violation[k] for k in ("org_name", "session_user_id", "session_origin")} == {
        "org_name": "Acme",
        "session_user_id": "user-1",
        "session_origin": "slack",
    }
    assert json.loads(violation["session_tags"]) == ["x"]
    assert violation["session_playbook_id"] == "pb-1"
    [unknown_session] = rows(con, "SELECT * FROM events WHERE event_id = 'guardrail_violation:4'")
    assert unknown_session["actor_type"] is None


def test_audit_events_get_names_batch_snapshots_first_then_the_lake(con: Any) -> None:
    found = {
        r["event_id"]: r
        for r in rows(con, "SELECT event_id, actor_name, org_name, actor_type FROM events")
    }
    assert found["audit_log:audit_log-0001"]["actor_name"] == "One"  # batch 1's users
    assert found["audit_log:audit_log-0007"]["actor_name"] == "One Renamed"  # batch 2's
    assert found["audit_log:audit_log-0007"]["org_name"] == "Acme"  # only in the lake
    assert found["audit_log:audit_log-0003"]["actor_name"] == "bot"  # a service user


def test_a_violation_is_correlated_with_its_audit_entry_across_batches(con: Any) -> None:
    correlated = dict(
        con.execute(
            "SELECT violation_id, correlated_audit_log_id FROM guardrail_violations"
        ).fetchall()
    )
    assert correlated == {1: "audit_log-0040", 2: None, 3: None, 4: None}
    links = dict(
        con.execute(
            "SELECT event_id, correlated_event_id FROM events WHERE correlated_event_id IS NOT NULL"
        ).fetchall()
    )
    assert links == {
        "guardrail_violation:1": "audit_log:audit_log-0040",
        "audit_log:audit_log-0040": "guardrail_violation:1",
    }
    [entry] = rows(con, "SELECT category, severity FROM events WHERE source_id = 'audit_log-0040'")
    assert entry == {"category": "guardrail", "severity": "medium"}


# -- runner and options ------------------------------------------------------------------------


def test_two_worker_processes_write_the_same_lake(story: Story, tmp_path: Path) -> None:
    files = [
        land(tmp_path, "run-1", "audit_logs", FIRST_AUDIT),
        land(tmp_path, "run-1", "guardrail_violations", FIRST_VIOLATIONS),
    ]
    result = run_transform(files, tmp_path, "b1", beam_args=TWO_PROCESSES)
    assert result.rows_written["audit_logs"] == story.first.rows_written["audit_logs"]
    assert result.dead_letters == story.first.dead_letters
    keys = lake_keys(tmp_path)
    for table in ("audit_logs", "guardrail_violations", "dead_letters"):
        assert keys[table] == story.after_first[table]


def test_the_portable_runner_with_its_embedded_job_service(story: Story, tmp_path: Path) -> None:
    # As Flink or Spark would run it: the Fn API over gRPC, the job service in-process (no
    # download, unlike Prism), the SDK workers in this process (LOOPBACK; Docker is the default).
    files = [
        land(tmp_path, "run-1", "audit_logs", FIRST_AUDIT),
        land(tmp_path, "run-1", "guardrail_violations", FIRST_VIOLATIONS),
        land(tmp_path, "run-1", "sessions", [SESSION]),
    ]
    portable = ["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"]
    result = run_transform(files, tmp_path, "b1", beam_args=portable)
    assert result.rows_written["audit_logs"] == story.first.rows_written["audit_logs"]
    assert result.rows_written["events"] == story.first.rows_written["events"]
    assert result.dead_letters == story.first.dead_letters
    assert result.unknown_actions == 2
    keys = lake_keys(tmp_path)
    for table in ("audit_logs", "guardrail_violations", "events", "dead_letters"):
        assert keys[table] == story.after_first[table]
    connection = connect(tmp_path)
    try:
        assert connection.execute(
            "SELECT actor_id FROM events WHERE event_id = 'guardrail_violation:1'"
        ).fetchall() == [("user-1",)]
    finally:
        connection.close()


def test_no_landed_rows_means_no_pipeline(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ndjson"
    empty.touch()
    assert run_transform([empty], tmp_path, "b1") == TransformResult()
    assert run_transform([], tmp_path, "b1") == TransformResult()


@pytest.mark.parametrize("batch_id", ["", "../escape", "a/b", ".hidden", "x y", "+1"])
def test_batch_ids_must_be_safe_file_names(tmp_path: Path, batch_id: str) -> None:
    with pytest.raises(ValueError, match="batch_id"):
        run_transform([], tmp_path, batch_id)


@pytest.mark.parametrize(
    ("args", "runner"),
    [
        ([], "FnApiRunner"),
        (["--runner=DirectRunner"], "FnApiRunner"),  # which would try Prism first
        (["--runner", "direct"], "FnApiRunner"),
        (["--runner=DataflowRunner", "--project=p"], "DataflowRunner"),
    ],
)
def test_the_local_runner_is_pinned(args: list[str], runner: str) -> None:
    assert pipeline_options(args).get_all_options()["runner"] == runner
