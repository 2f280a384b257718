"""The DuckDB fast path and the pydantic path make the same lake rows of the same lines.

``chunk.normalize_chunk`` runs each sample twice, once with the fast path and once with every
line on the pydantic path (the models in ``pipeline.model`` define what a valid record is), and
the two results must match field for field, type for type, dead letter for dead letter.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
import pytest

from pipeline.transform import sql
from pipeline.transform.chunk import connect, normalize_chunk, split_lines
from pipeline.transform.enrich import Dimensions, newest
from pipeline.transform.landing import LandedRange
from sandbox.spec import AUDIT_ACTIONS
from tests.records import raw_audit, raw_violation

SECONDS = 1_767_225_600
MICROS = SECONDS * 1_000_000
PROVENANCE = {
    "run_id": "run-1",
    "scope": "enterprise",
    "window_start": SECONDS - 60,
    "window_end": SECONDS + 60,
    "page": 2,
    "request_id": "req-1",
    "fetched_at": SECONDS + 90.123456,
    "path": "/v3/enterprise/audit-logs",
}
SOURCE = LandedRange((0, 0), "unused", 0, 0, "landed.ndjson", "run-from-path", None)


def landed(stream: str, record: Any, provenance: Any = PROVENANCE) -> bytes:
    # The extractor's key order (pipeline.extract.landing), which the fast path looks for.
    return orjson.dumps({"stream": stream, "provenance": provenance, "record": record})


def audit(i: int, **overrides: Any) -> dict[str, Any]:
    return raw_audit(
        **{
            "audit_log_id": f"audit_log-{i}",
            "action": AUDIT_ACTIONS[i % len(AUDIT_ACTIONS)],
            "created_at": SECONDS + i,
            "data": {"session_id": f"devin-{i}", "n": 1.5, "s": "é\u2603"},
            **overrides,
        }
    )


def violation(i: int, **overrides: Any) -> dict[str, Any]:
    return raw_violation(
        **{
            "violation_id": i,
            "event_id": f"ev-{i}",
            "created_at": SECONDS + i,
            "action_taken": ("log_only", "warn_user", "block_message", "kill_session")[i % 4],
            "confidence_score": (i % 10) / 10,
            **overrides,
        }
    )


GOOD = [
    *(landed("audit_logs", audit(i)) for i in range(len(AUDIT_ACTIONS))),
    landed(
        "audit_logs",
        audit(200, user_id=None, user_email=None, service_user_id="svc-1", service_user_name="bot"),
    ),
    landed("audit_logs", audit(201, user_id=None, user_email=None)),  # the system
    landed("audit_logs", audit(202, action="teleport_repo")),  # unknown action
    landed("audit_logs", audit(203, action=None)),
    landed("audit_logs", audit(204, data={"target_user_id": "u-2", "target_group_name": "g"})),
    landed("audit_logs", audit(205, data={"target_group_name": {"a": [1, 2]}, "session_id": 7})),
    landed("audit_logs", audit(206, data=[1, 2])),
    landed("audit_logs", audit(207, data=None)),
    landed("audit_logs", audit(208, created_at=(SECONDS + 208) * 1000 + 7)),  # milliseconds
    landed("audit_logs", audit(209, created_at=0)),
    # early v3beta1: fewer keys
    landed(
        "audit_logs", {"audit_log_id": "audit_log-210", "action": "login", "created_at": SECONDS}
    ),
    landed("audit_logs", audit(211), provenance={**PROVENANCE, "fetched_at": SECONDS * 1000}),
    landed("audit_logs", audit(212), provenance={"run_id": "run-2", "extra_key": [1]}),
    landed("audit_logs", audit(213), provenance={**PROVENANCE, "fetched_at": SECONDS}),
    *(landed("guardrail_violations", violation(i)) for i in range(12)),
    landed("guardrail_violations", violation(20, confidence_score=95)),  # a 0-100 scale
    landed("guardrail_violations", violation(21, confidence_score=None, session_id=None)),
    landed("guardrail_violations", violation(22, action_taken="quarantine")),
    landed("guardrail_violations", violation(23, violation_id=-5)),
]
# Lines the fast path must leave to the pydantic path (which lands them or dead-letters them).
ODD = [
    landed("audit_logs", audit(300, audit_log_id=301)),  # a number as the id: coerced
    landed("audit_logs", audit(302, created_at=SECONDS + 0.5)),  # a float time
    landed("audit_logs", audit(303, created_at=str(SECONDS))),  # a string time
    landed("audit_logs", audit(304, created_at="2026-01-01T00:00:00Z")),
    landed("audit_logs", audit(305, ip_address="10.0.0.1")),  # an unknown key → extra
    landed("audit_logs", audit(306, user_email=5)),  # a number as text: coerced
    b'{"stream":"audit_logs","provenance":{},"record":{"audit_log_id":"a","audit_log_id":"b",'
    b'"created_at":1767225600}}',  # a repeated key
    landed("audit_logs", audit(307, created_at=True)),  # dead: a boolean time
    landed("audit_logs", audit(308, created_at=-1)),  # dead: before 1970
    landed("audit_logs", audit(309, created_at=300_000_000_000)),  # dead: past 9999 in s
    landed("audit_logs", audit(310, audit_log_id="")),  # dead: empty id
    landed("audit_logs", audit(311, audit_log_id=None)),  # dead: no id
    landed("audit_logs", audit(312, user_id=True)),  # dead: a boolean as text
    landed("audit_logs", audit(313, action={"a": 1})),  # dead: an object as text
    landed("audit_logs", audit(314), provenance=None),  # dead: no provenance
    landed("audit_logs", audit(315), provenance={"page": "two"}),  # dead: bad provenance
    landed("audit_logs", audit(316), provenance={"run_id": 5}),  # dead: a number as run id
    landed("audit_logs", audit(317), provenance={"fetched_at": -3.0}),  # dead: bad fetch time
    landed("audit_logs", [1, 2]),  # dead: not an object
    b'{"stream":"audit_logs","provenance":{},"record":{"audit_log_id":"cut',  # dead: parse
    b"\xff\xfe not utf-8",  # dead: parse
    b"   ",  # blank: skipped
    landed(
        "audit_logs_v2",
        {
            "audit_log_id": "v2-1",
            "action": "login",
            "created_at": SECONDS * 1000,
            "org_id": None,
            "user_id": "u",
            "user_email": None,
            "ip": "1.2.3.4",
        },
    ),
    landed("nonsense", audit(318)),  # dead: unknown stream
    landed("guardrail_violations", violation(400, violation_id="401")),  # coerced
    landed("guardrail_violations", violation(402, violation_id=2**63)),  # dead: beyond int64
    landed("guardrail_violations", violation(403, violation_id=4.0)),  # coerced
    landed("guardrail_violations", violation(404, confidence_score="0.95")),  # coerced
    landed("guardrail_violations", violation(405, confidence_score=True)),  # coerced to 1.0
    landed("guardrail_violations", violation(406, reasoning=["x"])),  # dead: a list as text
    landed("users", {"user_id": "u1", "email": "u@example.com", "name": "U"}),
    orjson.dumps({"stream": "audit_logs", "record": audit(407), "provenance": PROVENANCE}),
]


def chunk_of(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def comparable(table: pa.Table) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    for row in rows:
        for key in ("data", "extra", "session_tags"):
            if row.get(key) is not None:
                row[key] = orjson.loads(row[key])  # JSON text may differ in spacing only
    return rows


def both_paths(lines: list[bytes], dims: Dimensions | None = None) -> tuple[Any, Any]:
    con = connect(1)
    try:
        chunk = chunk_of(lines)
        fast = normalize_chunk(con, chunk, 0, SOURCE, MICROS, dims, fast=True)
        slow = normalize_chunk(con, chunk, 0, SOURCE, MICROS, dims, fast=False)
    finally:
        con.close()
    return fast, slow


@pytest.mark.parametrize("sample", ["good", "odd", "mixed"])
def test_the_fast_path_and_the_pydantic_path_agree(sample: str) -> None:
    mixed = [x for pair in zip(GOOD, ODD, strict=False) for x in pair]
    lines = {"good": GOOD, "odd": ODD, "mixed": mixed}[sample]
    fast, slow = both_paths(lines, Dimensions.empty())
    assert sorted(fast.tables) == sorted(slow.tables)
    for name in fast.tables:
        assert fast.tables[name].schema == slow.tables[name].schema, name
        assert comparable(fast.tables[name]) == comparable(slow.tables[name]), name
    assert comparable(fast.dead_letters) == comparable(slow.dead_letters)
    assert fast.records_in == slow.records_in
    assert fast.unknown_actions == slow.unknown_actions


def test_ordinary_lines_take_the_fast_path_and_odd_ones_do_not() -> None:
    lines = split_lines(chunk_of(GOOD + ODD), 0)
    con = connect(1)
    try:
        numbered = pa.table({"_i": pa.array(range(len(lines.text))), "line": lines.text})
        con.register("lines", numbered)
        taken = set()
        for stream in sql.PREFIXES:
            taken |= set(sql.run_fast(con, stream, MICROS).rows["_i"].to_pylist())
    finally:
        con.close()
    # The last odd line is ordinary too, in another key order: fast, and checked above to agree.
    assert taken == {*range(len(GOOD)), len(GOOD) + len(ODD) - 1}


def test_dead_letter_decisions_on_the_odd_lines() -> None:
    fast, _ = both_paths(ODD)
    stages = [(d["stage"], d["stream"]) for d in fast.dead_letters.to_pylist()]
    assert stages == [
        *[("validate", "audit_logs")] * 7,
        *[("envelope", "audit_logs")] * 5,
        ("parse", None),  # the cut line
        ("parse", None),  # the bytes that are not UTF-8
        ("envelope", None),  # the unknown stream
        ("validate", "guardrail_violations"),
        ("validate", "guardrail_violations"),
    ]
    assert fast.tables["audit_logs"].num_rows == 9  # coerced, extra, repeated key, v2, orjson
    assert fast.tables["guardrail_violations"].num_rows == 4


def test_enrichment_is_the_same_on_both_paths() -> None:
    dims = Dimensions(
        {
            "orgs": newest("orgs", pa.table({"org_id": ["org-1"], "name": ["Acme"]})),
            "users": newest(
                "users",
                pa.table({"user_id": ["user-1"], "email": ["e@x"], "name": ["One"]}),
            ),
            "service_users": newest(
                "service_users", pa.table({"service_user_id": ["svc-1"], "name": ["bot"]})
            ),
            "sessions": newest(
                "sessions",
                pa.table(
                    {
                        "session_id": ["devin-1"],
                        "user_id": ["user-1"],
                        "service_user_id": pa.nulls(1, pa.string()),
                        "origin": ["slack"],
                        "title": ["Fix CI"],
                        "tags": ['["a"]'],
                        "playbook_id": ["pb-1"],
                    }
                ),
            ),
        }
    )
    fast, slow = both_paths(GOOD + ODD, dims)
    for name in ("events", "guardrail_violations"):
        assert comparable(fast.tables[name]) == comparable(slow.tables[name]), name
    events = {e["event_id"]: e for e in fast.tables["events"].to_pylist()}
    violation = events["guardrail_violation:1"]
    assert (violation["actor_type"], violation["actor_id"], violation["actor_email"]) == (
        "user",
        "user-1",
        "e@x",
    )
    assert (violation["actor_name"], violation["org_name"]) == ("One", "Acme")
    assert (violation["session_origin"], violation["session_title"]) == ("slack", "Fix CI")
    service = events["audit_log:audit_log-200"]
    assert (service["actor_type"], service["actor_name"]) == ("service_user", "bot")
    row = fast.tables["guardrail_violations"].filter(
        pa.compute.equal(fast.tables["guardrail_violations"]["violation_id"], 1)
    )
    assert row.select(["session_user_id", "session_tags", "session_playbook_id"]).to_pylist() == [
        {"session_user_id": "user-1", "session_tags": '["a"]', "session_playbook_id": "pb-1"}
    ]
    orphan = events["guardrail_violation:21"]  # no session: no actor
    assert (orphan["actor_type"], orphan["actor_id"]) == (None, None)


def test_secrets_are_redacted_on_both_paths() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    lines = [
        landed("guardrail_violations", violation(1, user_message=f"use {token} please")),
        landed("audit_logs", audit(1, data={"note": f"token {token}"})),
        landed("audit_logs", audit(2, data={"note": f"token {token}"}, unknown=token)),
        b'{"stream":"audit_logs","record":{"note":"' + token.encode() + b'"',
    ]
    fast, slow = both_paths(lines, Dimensions.empty())
    for result in (fast, slow):
        text = str([t.to_pylist() for t in result.tables.values()])
        text += str(result.dead_letters.to_pylist())
        assert token not in text
        assert "[REDACTED:" in text
        [message] = result.tables["guardrail_violations"]["user_message"].to_pylist()
        assert message.startswith("use [REDACTED:")
