"""ECS mapping: every documented audit action (and unknown ones) and every guardrail violation
becomes an ECS document whose fields exist in ECS (or live under ``devin.*``) and whose
categorization uses ECS's allowed values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.export.ecs import to_ecs
from tests.test_export_ocsf import (
    ACTORS,
    ALL_ACTIONS,
    audit_row,
    audit_source,
    data_for,
    violation_row,
    violation_source,
)
from tests.test_export_validators import validate_ecs


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_action_maps_to_a_valid_ecs_document(action: str | None, actor: str) -> None:
    document = to_ecs(audit_row(action, actor), audit=audit_source(data_for(action)))

    flat = validate_ecs(document)
    assert flat["@timestamp"] == "2026-01-02T03:04:05.678Z"
    assert flat["event.id"] == "audit_log:al-1"
    assert flat["event.dataset"] == "devin.audit_logs"
    assert flat["organization.id"] == "org-1"
    assert flat.get("event.action") == (action or None)


@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_a_bare_row_still_validates(action: str | None) -> None:
    row = {
        "event_id": "audit_log:al-1",
        "source": "audit_log",
        "source_id": "al-1",
        "event_time": 1_767_323_045_678_901,
        "action": action,
        "category": "other",
        "severity": "info",
    }
    validate_ecs(to_ecs(row))


@pytest.mark.parametrize(
    ("action", "kind", "category", "types"),
    [
        ("login", "event", ["authentication"], ["start"]),
        ("add_member", "event", ["iam"], ["user", "creation"]),
        ("delete_member", "event", ["iam"], ["user", "deletion"]),
        ("assign_roles", "event", ["iam"], ["user", "change"]),
        ("add_group_membership", "event", ["iam"], ["group", "creation"]),
        ("create_pat", "event", ["iam"], ["user", "change"]),
        ("update_role", "event", ["iam"], ["admin", "change"]),
        ("create_secret", "event", ["configuration"], ["creation"]),
        ("view_user_api_key", "event", ["configuration"], ["access"]),
        ("update_ai_guardrail", "event", ["configuration"], ["change"]),
        ("create_session", "event", ["api", "session"], ["start"]),
        ("terminate_session", "event", ["api", "session"], ["end"]),
        ("send_message", "event", ["api"], ["creation"]),
        ("frobnicate_widget", "event", ["api"], ["info"]),
        ("ai_guardrail_violation", "alert", ["intrusion_detection"], ["info"]),
    ],
)
def test_categorization(action: str, kind: str, category: list[str], types: list[str]) -> None:
    event = to_ecs(audit_row(action), audit=audit_source(data_for(action)))["event"]
    assert (event["kind"], event["category"], event["type"]) == (kind, category, types)


def test_an_audit_document() -> None:
    document = to_ecs(audit_row("add_member"), audit=audit_source(data_for("add_member")))
    assert document["user"] == {
        "id": "user-1",
        "email": "one@example.com",
        "name": "One",
        "target": {"id": "user-2"},
    }
    assert document["organization"] == {"id": "org-1", "name": "Org One"}
    assert document["related"] == {"user": ["user-1", "one@example.com", "One", "user-2"]}
    assert document["message"] == "one@example.com: add_member"
    assert document["labels"] == {"devin_category": "access_management", "devin_severity": "low"}
    assert document["event"]["severity"] == 2
    assert "outcome" not in document["event"]  # the API records no result
    assert "risk_score" not in document["event"]
    assert document["devin"] == {
        "source": "audit_log",
        "source_id": "al-1",
        "category": "access_management",
        "severity": "low",
        "actor": {"type": "user"},
        "session": {"id": "devin-1", "origin": "webapp", "title": "Fix the build"},
        "run_id": "run-1",
        "audit": {"data": '{"target_user_id":"user-2","roles":["member"]}'},
    }


def test_a_group_target_is_the_group() -> None:
    document = to_ecs(
        audit_row("add_group_membership"), audit=audit_source(data_for("add_group_membership"))
    )
    assert document["group"] == {"name": "engineering"}
    assert "target" not in document["user"]


@pytest.mark.parametrize(
    ("action_taken", "types", "risk_score"),
    [
        ("log_only", ["info"], 47.0),
        ("warn_user", ["allowed"], 73.0),
        ("block_message", ["denied"], 99.0),
        ("kill_session", ["denied"], 99.0),
        ("quarantine", ["info"], 47.0),
    ],
)
def test_a_violation_is_an_ecs_alert(
    action_taken: str, types: list[str], risk_score: float
) -> None:
    document = to_ecs(violation_row(action_taken), violation=violation_source(action_taken))

    flat = validate_ecs(document)
    assert flat["event.kind"] == "alert"
    assert flat["event.category"] == ["intrusion_detection"]
    assert flat["event.type"] == types
    assert flat["event.risk_score"] == risk_score
    assert flat["event.dataset"] == "devin.guardrail_violations"
    assert flat["event.reason"] == "The message asks to ignore previous instructions."
    assert document["rule"] == {
        "id": "gr-1",
        "name": "Prompt injection",
        "ruleset": "Devin AI Guardrails",
        "category": "AI Guardrail",
    }
    assert document["devin"]["guardrail"] == {
        "event_id": "evt-9",
        "action_taken": action_taken,
        "confidence_score": 0.95,
    }
    assert document["organization"]["name"] == "Org One"
    assert document["devin"]["session"] == {"id": "devin-7", "title": "Triage"}


def test_the_user_message_is_exported_only_when_passed_in() -> None:
    without = to_ecs(violation_row("warn_user"), violation=violation_source("warn_user"))
    source = violation_source("warn_user", user_message="[REDACTED] please")
    with_message = to_ecs(violation_row("warn_user"), violation=source)
    assert "user_message" not in json.dumps(without)
    assert with_message["devin"]["guardrail"]["user_message"] == "[REDACTED] please"
    validate_ecs(with_message)


def test_a_known_outcome_is_kept() -> None:
    row: dict[str, Any] = audit_row("login", outcome="failure")
    assert to_ecs(row)["event"]["outcome"] == "failure"


def test_a_violation_row_alone_is_categorized_by_its_outcome_column() -> None:
    document = to_ecs(violation_row("kill_session", confidence=None))
    validate_ecs(document)
    assert document["event"]["type"] == ["denied"]
    assert "outcome" not in document["event"]  # a disposition, not an ECS outcome
