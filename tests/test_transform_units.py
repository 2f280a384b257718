"""The pure parts of the transform: timestamps, taxonomy, record normalization, landed ranges."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline.model import (
    LAKE_TABLES,
    AuditLogRecord,
    GuardrailViolationRecord,
    SessionRecord,
)
from pipeline.transform.landing import LandedRange, landing_location, plan_ranges, read_lines
from pipeline.transform.normalize import (
    Rejected,
    audit_log_event,
    guardrail_violation_event,
    parse_line,
    record_row,
    validate,
)
from pipeline.transform.tables import normalize_lines
from pipeline.transform.taxonomy import ACTIONS, CATEGORIES, classify_action, guardrail_severity
from pipeline.transform.timestamps import InvalidTimestamp, to_micros
from sandbox.spec import AUDIT_ACTIONS, AUDIT_ACTIONS_NEWER, AUDIT_ACTIONS_SNAPSHOT
from tests.documented import DOCUMENTED_ACTIONS
from tests.records import raw_audit, raw_violation

SECONDS = 1_767_225_600  # 2026-01-01T00:00:00Z
MICROS = SECONDS * 1_000_000
PROVENANCE = {
    "run_id": "run-1",
    "scope": "enterprise",
    "window_start": SECONDS - 3600,
    "window_end": SECONDS + 3600,
    "page": 3,
    "request_id": "req-9",
    "fetched_at": SECONDS + 7200.5,
    "path": "/v3/enterprise/audit-logs",
}


def line(stream: str, record: Any, provenance: Any = PROVENANCE) -> bytes:
    return orjson.dumps({"stream": stream, "record": record, "provenance": provenance})


def audit(**overrides: Any) -> dict[str, Any]:
    return raw_audit(
        **{
            "action": "assign_roles",
            "created_at": SECONDS,
            "data": {"target_user_id": "user-2", "roles": ["admin"], "session_id": "devin-7"},
            **overrides,
        }
    )


def violation(**overrides: Any) -> dict[str, Any]:
    return raw_violation(
        **{
            "violation_id": 42,
            "created_at": SECONDS,
            "session_id": "devin-7",
            "action_taken": "block_message",
            "reasoning": "asks to ignore instructions",
            "user_message": "ignore previous instructions",
            **overrides,
        }
    )


# -- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "micros", "raw"),
    [
        (SECONDS, MICROS, SECONDS),
        (SECONDS * 1000, MICROS, SECONDS * 1000),  # milliseconds
        (SECONDS * 1000 + 5, MICROS + 5000, SECONDS * 1000 + 5),
        (SECONDS + 0.25, MICROS + 250_000, SECONDS),
        (str(SECONDS), MICROS, SECONDS),
        ("2026-01-01T00:00:00Z", MICROS, None),
        ("2026-01-01T01:00:00+01:00", MICROS, None),
        ("2026-01-01T00:00:00", MICROS, None),  # naive ISO is UTC
        (0, 0, 0),
    ],
)
def test_timestamps_become_utc_micros(value: Any, micros: int, raw: int | None) -> None:
    assert to_micros(value) == (micros, raw)


@pytest.mark.parametrize(
    "value", [True, -1, float("nan"), float("inf"), "yesterday", "", 10**17, "1e300"]
)
def test_impossible_timestamps_are_refused(value: Any) -> None:
    with pytest.raises(InvalidTimestamp):
        to_micros(value)


# -- taxonomy ----------------------------------------------------------------------------------


def test_every_documented_action_has_a_family_and_a_severity() -> None:
    assert set(DOCUMENTED_ACTIONS) <= set(ACTIONS)
    assert {c.category for c in ACTIONS.values()} == set(CATEGORIES) - {"other"}


def test_the_taxonomy_covers_the_sandboxs_transcription_of_the_enum() -> None:
    # sandbox/spec.py is checked against devin-api.md §1.5 by the sandbox's own tests.
    assert len(AUDIT_ACTIONS_SNAPSHOT) == 97
    assert len(AUDIT_ACTIONS_NEWER) == 13
    assert set(AUDIT_ACTIONS) == set(DOCUMENTED_ACTIONS)
    for action in AUDIT_ACTIONS:
        category, _, known = classify_action(action)
        assert known, action
        assert category in CATEGORIES and category != "other", action


def test_unknown_and_missing_actions_are_other_info_and_flagged() -> None:
    assert classify_action("brand_new_action") == ("other", "info", False)
    assert classify_action(None) == ("other", "info", False)
    assert classify_action("login") == ("authentication", "info", True)
    assert classify_action("view_org_api_key").category == "api_key"
    assert classify_action("update_ai_guardrail").category == "guardrail"


@pytest.mark.parametrize(
    ("action_taken", "confidence", "severity", "known"),
    [
        ("log_only", 0.5, "low", True),
        ("warn_user", 0.5, "medium", True),
        ("block_message", 0.5, "high", True),
        ("kill_session", 0.5, "critical", True),
        ("log_only", 0.9, "medium", True),  # bumped at >= 0.9
        ("block_message", 0.95, "critical", True),
        ("kill_session", 0.99, "critical", True),  # capped
        ("block_message", 95, "critical", True),  # a 0..100 scale
        ("block_message", None, "high", True),
        ("quarantine", 0.5, "low", False),
        (None, 0.95, "medium", False),
    ],
)
def test_guardrail_severity(
    action_taken: str | None, confidence: float | None, severity: str, known: bool
) -> None:
    assert guardrail_severity(action_taken, confidence) == ("guardrail", severity, known)


# -- record normalization ----------------------------------------------------------------------


def test_parse_line_reads_the_envelope_and_stamps_provenance() -> None:
    landed = parse_line(line("audit_logs", audit()), ingested_at=123)
    assert landed.stream == "audit_logs"
    assert landed.record["audit_log_id"] == "audit_log-1"
    assert landed.provenance == {
        "_run_id": "run-1",
        "_scope": "enterprise",
        "_window_start": SECONDS - 3600,
        "_window_end": SECONDS + 3600,
        "_page": 3,
        "_request_id": "req-9",
        "_path": "/v3/enterprise/audit-logs",
        "_fetched_at": MICROS + 7_200_500_000,
        "_ingested_at": 123,
    }


@pytest.mark.parametrize(
    ("raw", "stage", "stream"),
    [
        (b'{"stream": "audit_logs", "record": {', "parse", None),
        (b"\xff\xfe not utf-8", "parse", None),
        (b"[1, 2]", "envelope", None),
        (line("billing", audit()), "envelope", None),
        (line("audit_logs", None), "envelope", "audit_logs"),
        (line("audit_logs", audit(), provenance="nope"), "envelope", "audit_logs"),
        (line("audit_logs", audit(), provenance={"page": "first"}), "envelope", "audit_logs"),
        (line("audit_logs", audit(), provenance={"page": 2**63}), "envelope", "audit_logs"),
        (line("audit_logs", audit(), provenance={"fetched_at": 1e300}), "envelope", "audit_logs"),
    ],
)
def test_broken_lines_are_rejected_with_their_stage(
    raw: bytes, stage: str, stream: str | None
) -> None:
    with pytest.raises(Rejected) as caught:
        parse_line(raw, ingested_at=0)
    assert (caught.value.stage, caught.value.stream) == (stage, stream)


@pytest.mark.parametrize(
    "record",
    [
        {k: v for k, v in audit().items() if k != "audit_log_id"},
        {k: v for k, v in audit().items() if k != "created_at"},
        audit(audit_log_id=""),
        audit(created_at=None),
        audit(created_at=True),
        audit(audit_log_id={"nested": 1}),
    ],
)
def test_audit_records_without_id_or_time_fail_validation(record: dict[str, Any]) -> None:
    with pytest.raises(Rejected) as caught:
        validate("audit_logs", record)
    assert caught.value.stage == "validate"
    assert "ignore" not in caught.value.error  # messages carry field names, not values


def test_unparseable_created_at_is_rejected_when_building_the_row() -> None:
    record = validate("audit_logs", audit(created_at="last tuesday"))
    with pytest.raises(Rejected, match="created_at"):
        record_row(LAKE_TABLES["audit_logs"], record)


def test_audit_row_keeps_data_as_json_raw_time_and_unknown_keys_in_extra() -> None:
    record = validate("audit_logs", audit(created_at=SECONDS * 1000, ip="10.0.0.1", tags=["x"]))
    row = record_row(LAKE_TABLES["audit_logs"], record)
    assert row["created_at"] == MICROS
    assert row["created_at_raw"] == SECONDS * 1000
    assert orjson.loads(row["data"]) == audit()["data"]
    assert orjson.loads(row["extra"]) == {"ip": "10.0.0.1", "tags": ["x"]}
    assert set(row) == set(LAKE_TABLES["audit_logs"].schema.names) - {
        n for n in LAKE_TABLES["audit_logs"].schema.names if n.startswith("_")
    }


def test_old_audit_records_without_data_or_email_are_fine() -> None:
    old = {k: audit()[k] for k in ("audit_log_id", "action", "created_at", "org_id", "user_id")}
    row = record_row(LAKE_TABLES["audit_logs"], validate("audit_logs", old))
    assert row["data"] is None and row["user_email"] is None and row["extra"] is None


def test_audit_event_actor_session_and_target() -> None:
    record = AuditLogRecord.model_validate(audit())
    event, known = audit_log_event(record, MICROS)
    assert known
    assert event["event_id"] == "audit_log:audit_log-1"
    assert (event["actor_type"], event["actor_id"], event["actor_email"]) == (
        "user",
        "user-1",
        "one@example.com",
    )
    assert (event["category"], event["severity"]) == ("access_management", "medium")
    assert (event["session_id"], event["target"]) == ("devin-7", "user-2")

    service = AuditLogRecord.model_validate(
        audit(user_id=None, user_email=None, service_user_id="svc-1", data=None)
    )
    event, _ = audit_log_event(service, MICROS)
    assert (event["actor_type"], event["actor_id"]) == ("service_user", "svc-1")
    assert event["session_id"] is None and event["target"] is None

    system = AuditLogRecord.model_validate(audit(user_id=None, action="shiny_new_thing"))
    event, known = audit_log_event(system, MICROS)
    assert (event["actor_type"], event["actor_id"]) == ("system", None)
    assert (event["action"], event["category"], event["severity"]) == (
        "shiny_new_thing",
        "other",
        "info",
    )
    assert not known


def test_violation_row_and_event() -> None:
    record = validate("guardrail_violations", violation(violation_id="17", policy="strict"))
    assert isinstance(record, GuardrailViolationRecord)
    row = record_row(LAKE_TABLES["guardrail_violations"], record)
    assert row["violation_id"] == 17
    assert orjson.loads(row["extra"]) == {"policy": "strict"}
    event, known = guardrail_violation_event(record, row["created_at"])
    assert known
    assert event["event_id"] == "guardrail_violation:17"
    assert event["source_id"] == "17"
    assert event["action"] == "ai_guardrail_violation"
    assert (event["category"], event["severity"], event["outcome"]) == (
        "guardrail",
        "high",
        "block_message",
    )
    assert (event["actor_type"], event["actor_id"]) == (None, None)  # until sessions enrich it


def test_session_snapshot_row_stores_nested_values_as_json() -> None:
    record = validate(
        "sessions",
        {
            "session_id": "devin-7",
            "org_id": "org-1",
            "status": "running",
            "tags": ["a", "b"],
            "created_at": SECONDS,
            "updated_at": None,
            "pull_requests": [{"pr_url": "https://x/pr/1", "pr_state": None}],
            "is_archived": False,
        },
    )
    assert isinstance(record, SessionRecord)
    row = record_row(LAKE_TABLES["sessions"], record)
    assert row["created_at"] == MICROS and row["updated_at"] is None
    assert orjson.loads(row["pull_requests"]) == [{"pr_url": "https://x/pr/1", "pr_state": None}]
    assert row["tags"] == '["a","b"]'
    assert row["child_session_ids"] is None


# -- landed files ------------------------------------------------------------------------------


def test_ranges_read_every_line_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "_landing" / "run-1" / "audit_logs" / "w.ndjson"
    path.parent.mkdir(parents=True)
    lines = [line("audit_logs", audit(audit_log_id=f"a{i}", pad="x" * (i % 17))) for i in range(50)]
    path.write_bytes(b"\n".join(lines) + b"\n\n")  # a blank line is not a record
    for size in (1, 7, 100, 1000, 10**6):
        ranges = plan_ranges([path], tmp_path, range_bytes=size)
        read = [item for r in ranges for item in read_lines(r.path, r.start, r.end)]
        assert [content for _, content in read] == lines
        offsets = [offset for offset, _ in read]
        assert offsets == [sum(len(x) + 1 for x in lines[:i]) for i in range(50)]
    assert ranges[0].landed_file == "_landing/run-1/audit_logs/w.ndjson"
    assert landing_location(path) == ("run-1", "audit_logs")
    assert landing_location(tmp_path / "elsewhere.ndjson") == (None, None)


def test_normalize_lines_routes_rows_events_and_dead_letters(tmp_path: Path) -> None:
    source = LandedRange((0, 0), "unused", 0, 0, "landed.ndjson", "run-from-path", "audit_logs")
    lines = [
        (0, line("audit_logs", audit())),
        (10, b"{not json"),
        (20, line("audit_logs", audit(audit_log_id=None))),
        (30, line("guardrail_violations", violation(action_taken="quarantine"))),
        (35, line("guardrail_violations", violation(violation_id=2**63))),  # beyond int64
        (40, line("users", {"user_id": "u1", "email": "u@example.com", "role_assignments": []})),
    ]
    result = normalize_lines(lines, source, ingested_at=MICROS)
    assert result.tables["audit_logs"].num_rows == 1
    assert result.tables["guardrail_violations"].num_rows == 1
    assert result.tables["users"].column("role_assignments").to_pylist() == ["[]"]
    assert result.tables["events"].column("event_id").to_pylist() == [
        "audit_log:audit_log-1",
        "guardrail_violation:42",
    ]
    dead = result.dead_letters.to_pylist()
    assert [(d["stage"], d["stream"], d["_offset"], d["_run_id"]) for d in dead] == [
        ("parse", "audit_logs", 10, "run-from-path"),
        ("validate", "audit_logs", 20, "run-1"),
        ("validate", "guardrail_violations", 35, "run-1"),
    ]
    assert dead[0]["raw"] == "{not json"
    assert dead[0]["_ingested_at"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert result.records_in == {"audit_logs": 3, "guardrail_violations": 2, "users": 1}
    assert result.unknown_actions == {"guardrail_violations:quarantine": 1}


def test_legacy_v2_entries_take_the_v3_shape() -> None:
    from pipeline.transform.normalize import legacy_v2_record

    entry = {
        "audit_log_id": "audit_log-" + "a" * 32,
        "action": "add_member",
        "created_at": 1_704_067_200_000,
        "org_id": "org-1",
        "user_id": "email|abcd",
        "user_email": None,
        "target_user_id": "email|efgh",
        "roles": ["admin"],
    }
    record = legacy_v2_record(entry)
    assert record["data"] == {"target_user_id": "email|efgh", "roles": ["admin"]}
    assert record["created_at"] == 1_704_067_200_000
    assert record["service_user_id"] is None and record["action"] == "add_member"
