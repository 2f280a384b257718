"""Raw API records as the transform tests build them: one documented shape, any field overridden."""

from __future__ import annotations

from typing import Any


def raw_audit(**fields: Any) -> dict[str, Any]:
    """An audit log item by user-1 (one@example.com) in org-1; ``fields`` set the rest."""
    return {
        "audit_log_id": "audit_log-1",
        "action": "login",
        "created_at": 1_767_225_600,
        "data": {},
        "org_id": "org-1",
        "user_id": "user-1",
        "user_email": "one@example.com",
        "service_user_id": None,
        "service_user_name": None,
        **fields,
    }


def raw_violation(**fields: Any) -> dict[str, Any]:
    """A guardrail violation of guardrail g-1 in org-1; ``fields`` set the rest."""
    return {
        "violation_id": 1,
        "event_id": "ev-1",
        "created_at": 1_767_225_600,
        "org_id": "org-1",
        "session_id": "devin-1",
        "guardrail_id": "g-1",
        "guardrail_name": "Prompt injection",
        "action_taken": "warn_user",
        "confidence_score": 0.5,
        "reasoning": "r",
        "user_message": "m",
        **fields,
    }
