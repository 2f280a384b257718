"""OCSF mapping: every documented audit action (and unknown ones) becomes a valid OCSF 1.7.0 event
of the intended class; a guardrail violation becomes a valid Detection Finding."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline.export.ocsf import to_ocsf
from pipeline.export.ocsf_classes import ACTION_CLASSES
from pipeline.transform.taxonomy import ACTIONS, classify_action, guardrail_severity
from tests.documented import DOCUMENTED_ACTIONS
from tests.test_export_validators import validate_ocsf

UNKNOWN_ACTIONS: list[str | None] = ["frobnicate_widget", "", None]
ALL_ACTIONS: list[str | None] = [*DOCUMENTED_ACTIONS, *UNKNOWN_ACTIONS]
ACTORS = {
    "user": ("user-1", "one@example.com", "One"),
    "service_user": ("svc-1", None, "ci-bot"),
    "system": (None, None, None),
}
TIME = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)


def audit_row(action: str | None, actor: str = "user", **extra: Any) -> dict[str, Any]:
    actor_id, email, name = ACTORS[actor]
    classification = classify_action(action)
    return {
        "event_id": "audit_log:al-1",
        "source": "audit_log",
        "source_id": "al-1",
        "event_time": TIME,
        "event_date": TIME.date(),
        "org_id": "org-1",
        "actor_type": actor,
        "actor_id": actor_id,
        "actor_email": email,
        "action": action,
        "category": classification.category,
        "severity": classification.severity,
        "outcome": None,
        "session_id": "devin-1",
        "target": None,
        "org_name": "Org One",
        "actor_name": name,
        "session_origin": "webapp",
        "session_title": "Fix the build",
        "_run_id": "run-1",
        "_fetched_at": TIME,
        "_ingested_at": TIME,
        **extra,
    }


def audit_source(data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "audit_log_id": "al-1",
        "created_at_raw": 1_767_323_045,
        "service_user_name": "ci-bot",
        "data": None if data is None else json.dumps(data),
    }


def data_for(action: str | None) -> dict[str, Any]:
    """The per-action data the legacy schemas document (devin-api.md §1.3), else a session."""
    if action in ("add_enterprise_member", "add_member", "assign_roles"):
        return {"target_user_id": "user-2", "roles": ["member"]}
    if action == "delete_member":
        return {"target_user_id": "user-2", "enterprise_id": "ent-1"}
    if action in ("add_group_membership", "update_group_membership", "delete_group_membership"):
        return {"target_group_name": "engineering", "roles": [{"name": "admin"}]}
    return {"session_id": "devin-1"}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_action_maps_to_a_valid_ocsf_event(action: str | None, actor: str) -> None:
    document = to_ocsf(audit_row(action, actor), audit=audit_source(data_for(action)))

    validate_ocsf(document)
    expected = ACTION_CLASSES.get(action or "")
    assert document["class_uid"] == (expected.cls.uid if expected else 6003)
    assert document["metadata"]["uid"] == "audit_log:al-1"
    assert document["time"] == 1_767_323_045_678


@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_a_bare_row_without_source_or_enrichment_still_validates(action: str | None) -> None:
    row = {
        "event_id": "audit_log:al-1",
        "source": "audit_log",
        "source_id": "al-1",
        "event_time": 1_767_323_045_678_901,  # as the transform builds it: UTC microseconds
        "action": action,
        "category": "other",
        "severity": "info",
    }
    document = to_ocsf(row)
    validate_ocsf(document)
    assert document["time"] == 1_767_323_045_678


def test_the_class_map_covers_the_documented_enum_and_the_taxonomy() -> None:
    assert set(DOCUMENTED_ACTIONS) == set(ACTION_CLASSES)
    assert set(ACTIONS) == set(ACTION_CLASSES)


@pytest.mark.parametrize(
    ("action", "class_uid", "activity_id", "activity_name"),
    [
        ("login", 3002, 1, "Logon"),
        ("add_enterprise_member", 3001, 1, "Create"),
        ("delete_member", 3001, 6, "Delete"),
        ("approve_seat_request", 3001, 2, "Enable"),
        ("create_pat", 3001, 99, "Create PAT"),
        ("rotate_service_user_api_key", 3001, 99, "Rotate Service User API Key"),
        ("assign_roles", 3005, 1, "Assign Privileges"),
        ("remove_service_user_role", 3005, 2, "Revoke Privileges"),
        ("add_group_membership", 3006, 1, "Assign Privileges"),
        ("delete_group_membership", 3006, 2, "Revoke Privileges"),
        ("create_secret", 3004, 1, "Create"),
        ("view_org_api_key", 3004, 2, "Read"),
        ("update_role", 3004, 3, "Update"),
        ("mcp_server_disable", 3004, 9, "Disable"),
        ("ai_guardrail_violation", 2004, 1, "Create"),
        ("create_session", 6003, 1, "Create"),
        ("search_query", 6003, 2, "Read"),
        ("terminate_session", 6003, 99, "Terminate Session"),
        ("frobnicate_widget", 6003, 99, "Frobnicate Widget"),
    ],
)
def test_class_and_activity_by_family(
    action: str, class_uid: int, activity_id: int, activity_name: str
) -> None:
    document = to_ocsf(audit_row(action), audit=audit_source(data_for(action)))
    assert (document["class_uid"], document["activity_id"]) == (class_uid, activity_id)
    assert document["activity_name"] == activity_name
    assert document["type_uid"] == class_uid * 100 + activity_id


def test_an_account_change_names_the_target_user_and_keeps_the_actor() -> None:
    document = to_ocsf(audit_row("add_member"), audit=audit_source(data_for("add_member")))
    assert document["user"] == {"uid": "user-2", "type_id": 1, "type": "User"}
    assert document["actor"]["user"] == {
        "uid": "user-1",
        "email_addr": "one@example.com",
        "name": "One",
        "type_id": 1,
        "type": "User",
        "org": {"uid": "org-1", "name": "Org One"},
    }
    assert document["unmapped"]["data"] == {"target_user_id": "user-2", "roles": ["member"]}


def test_role_and_group_privileges_come_from_the_audit_data() -> None:
    roles = to_ocsf(audit_row("assign_roles"), audit=audit_source(data_for("assign_roles")))
    group = to_ocsf(
        audit_row("add_group_membership"), audit=audit_source(data_for("add_group_membership"))
    )
    assert roles["privileges"] == ["member"]
    assert group["group"] == {"name": "engineering"}
    assert group["privileges"] == ["admin"]


def test_a_service_user_actor_and_the_system_actor() -> None:
    service = to_ocsf(audit_row("create_session", "service_user"), audit=audit_source())
    system = to_ocsf(audit_row("github_integration_deleted", "system"), audit=audit_source())
    assert service["actor"]["user"]["type_id"] == 4
    assert service["actor"]["user"]["name"] == "ci-bot"
    assert system["actor"] == {"app_name": "Devin"}
    assert system["unmapped"]["org"] == {"uid": "org-1", "name": "Org One"}


def test_metadata_and_session() -> None:
    document = to_ocsf(audit_row("create_session"), audit=audit_source())
    assert document["metadata"] == {
        "version": "1.7.0",
        "product": {"name": "Devin", "vendor_name": "Cognition"},
        "uid": "audit_log:al-1",
        "original_event_uid": "al-1",
        "event_code": "create_session",
        "log_name": "audit_logs",
        "original_time": "1767323045",
        "logged_time": 1_767_323_045_678,
        "processed_time": 1_767_323_045_678,
        "tenant_uid": "org-1",
        "correlation_uid": "devin-1",
    }
    assert document["resources"] == [
        {"uid": "devin-1", "type": "Devin Session", "name": "Fix the build"}
    ]
    assert document["unmapped"]["session"]["origin"] == "webapp"


def test_keyword_names_override_the_row() -> None:
    document = to_ocsf(audit_row("login"), org_name="Renamed", actor_name="Uno")
    assert document["user"]["org"]["name"] == "Renamed"
    assert document["user"]["name"] == "Uno"


# ---------------------------------------------------------------------------------------------
# Guardrail violations

VIOLATION_TIME = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def violation_row(action_taken: str | None, confidence: float | None = 0.95) -> dict[str, Any]:
    classification = guardrail_severity(action_taken, confidence)
    return {
        "event_id": "guardrail_violation:42",
        "source": "guardrail_violation",
        "source_id": "42",
        "event_time": VIOLATION_TIME,
        "org_id": "org-1",
        "actor_type": None,
        "actor_id": None,
        "actor_email": None,
        "action": "ai_guardrail_violation",
        "category": classification.category,
        "severity": classification.severity,
        "outcome": action_taken,
        "session_id": "devin-7",
        "target": None,
    }


def violation_source(action_taken: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "violation_id": 42,
        "event_id": "evt-9",
        "session_id": "devin-7",
        "org_id": "org-1",
        "guardrail_id": "gr-1",
        "guardrail_name": "Prompt injection",
        "action_taken": action_taken,
        "confidence_score": 0.95,
        "reasoning": "The message asks to ignore previous instructions.",
        "created_at_raw": 1_767_323_045,
        "org_name": "Org One",
        "session_title": "Triage",
        **extra,
    }


@pytest.mark.parametrize(
    ("action_taken", "severity_id", "action_id", "disposition_id", "disposition"),
    [
        ("log_only", 3, 1, 17, "Logged"),
        ("warn_user", 4, 1, 19, "Alert"),
        ("block_message", 5, 2, 2, "Blocked"),
        ("kill_session", 5, 2, 24, "Access Revoked"),
        ("quarantine", 3, 99, 99, "quarantine"),
    ],
)
def test_a_violation_is_a_valid_detection_finding(
    action_taken: str, severity_id: int, action_id: int, disposition_id: int, disposition: str
) -> None:
    document = to_ocsf(violation_row(action_taken), violation=violation_source(action_taken))

    validate_ocsf(document)
    assert (document["class_uid"], document["category_uid"], document["type_uid"]) == (
        2004,
        2,
        200401,
    )
    assert document["severity_id"] == severity_id  # 0.95 confidence ranks one level up
    assert (document["action_id"], document["disposition_id"]) == (action_id, disposition_id)
    assert document["disposition"] == disposition
    assert document["metadata"]["profiles"] == ["security_control"]
    assert document["finding_info"] == {
        "uid": "42",
        "title": "Prompt injection",
        "desc": "The message asks to ignore previous instructions.",
        "created_time": 1_767_323_045_000,
        "types": ["AI Guardrail Violation"],
        "analytic": {"uid": "gr-1", "name": "Prompt injection", "type_id": 1, "type": "Rule"},
    }
    assert (document["confidence_score"], document["confidence_id"]) == (95, 3)
    assert document["resources"] == [{"uid": "devin-7", "type": "Devin Session", "name": "Triage"}]
    assert document["is_alert"] is True


def test_a_violation_row_alone_validates() -> None:
    document = to_ocsf(violation_row("block_message", confidence=None))
    validate_ocsf(document)
    assert document["finding_info"]["title"] == "AI Guardrail Violation"
    assert document["disposition"] == "Blocked"  # from the events row's outcome


def test_the_user_message_is_exported_only_when_passed_in() -> None:
    without = to_ocsf(violation_row("warn_user"), violation=violation_source("warn_user"))
    with_message = to_ocsf(
        violation_row("warn_user"),
        violation=violation_source("warn_user", user_message="[REDACTED] please"),
    )
    assert "user_message" not in json.dumps(without)
    assert with_message["evidences"] == [{"data": {"user_message": "[REDACTED] please"}}]
    validate_ocsf(with_message)


def test_the_violation_actor_comes_from_its_session_when_enriched() -> None:
    source = violation_source("block_message", session_user_id="user-5")
    document = to_ocsf(violation_row("block_message"), violation=source)
    validate_ocsf(document)
    assert document["evidences"] == [
        {
            "actor": {
                "user": {
                    "uid": "user-5",
                    "type_id": 1,
                    "type": "User",
                    "org": {"uid": "org-1", "name": "Org One"},
                }
            }
        }
    ]
