"""A first security taxonomy: which family an action belongs to and how much it matters.

The action list is the documented ``AuditLogAction`` enum (devin-api.md §1.5a and b). Severity is
a starting point for triage, to be tuned with the people who read the alerts: reading or minting
credentials and changing enterprise-wide settings or guardrails rank above routine work in
sessions and knowledge. Actions not listed here are kept as they are, classified ``other`` and
``info``, and reported as unknown so that this table can grow with the API.
"""

from __future__ import annotations

from typing import NamedTuple

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
CATEGORIES: tuple[str, ...] = (
    "authentication",
    "access_management",
    "session",
    "knowledge",
    "integration",
    "secret",
    "configuration",
    "guardrail",
    "api_key",
    "other",
)

GUARDRAIL_VIOLATION_ACTION = "ai_guardrail_violation"

# action_taken → base severity (devin-api.md §2.4).
GUARDRAIL_SEVERITY: dict[str, str] = {
    "log_only": "low",
    "warn_user": "medium",
    "block_message": "high",
    "kill_session": "critical",
}
# An undocumented action_taken still means a guardrail fired: rank it like the mildest response.
UNKNOWN_GUARDRAIL_SEVERITY = "low"
HIGH_CONFIDENCE = 0.9


class Classification(NamedTuple):
    category: str
    severity: str
    known: bool


_FAMILIES: dict[str, dict[str, str]] = {
    "authentication": {"login": "info"},
    "access_management": {
        "add_enterprise_member": "medium",
        "add_member": "low",
        "delete_member": "medium",
        "assign_roles": "medium",
        "create_role": "medium",
        "update_role": "high",
        "delete_role": "medium",
        "add_group_membership": "medium",
        "update_group_membership": "medium",
        "delete_group_membership": "low",
        "create_service_user": "medium",
        "delete_service_user": "medium",
        "assign_service_user_role": "high",
        "remove_service_user_role": "low",
        "create_git_permission": "medium",
        "update_git_permission": "medium",
        "delete_git_permission": "low",
        "create_join_request": "info",
        "approve_join_request": "low",
        "reject_join_request": "info",
        "automatic_join_event": "low",
        "approve_seat_request": "low",
    },
    "session": {
        "create_session": "info",
        "sleep_session": "info",
        "terminate_session": "low",
        "send_message": "info",
        "approve_deploy": "medium",
        "approve_test_app": "low",
        "permission_response": "low",
        "create_mcp_validation_session": "info",
        "acknowledge_session_hard_cap": "info",
        "claim_outpost_session": "low",
        "create_maintenance_task": "info",
        "update_maintenance_task": "info",
        "delete_maintenance_task": "low",
        "create_snapshot_script": "low",
        "schedule_snapshot_script": "low",
        "execute_snapshot_script": "medium",
        "create_automation": "low",
    },
    "knowledge": {
        "create_knowledge": "info",
        "edit_knowledge": "info",
        "delete_knowledge": "low",
        "create_folder": "info",
        "update_folder": "info",
        "delete_folder": "low",
        "create_playbook": "info",
        "update_playbook": "info",
        "delete_playbook": "low",
        "search_query": "info",
        "update_repo_setup_steering_knowledge": "info",
        "delete_repo_setup_steering_knowledge": "low",
        "accept_skill_pr": "low",
    },
    "integration": {
        "create_github_integration": "medium",
        "delete_github_integration": "medium",
        "github_integration_deleted": "medium",
        "refresh_github_integration": "info",
        "create_gitlab_integration": "medium",
        "update_gitlab_integration": "medium",
        "reconnect_gitlab_integration": "low",
        "delete_gitlab_integration": "medium",
        "create_gitlab_app_config": "medium",
        "create_azure_devops_integration": "medium",
        "reconnect_azure_devops_integration": "low",
        "delete_azure_devops_integration": "medium",
        "create_bitbucket_integration": "medium",
        "delete_bitbucket_integration": "medium",
        "mcp_server_install": "medium",
        "mcp_server_enable": "medium",
        "mcp_server_disable": "low",
        "mcp_server_delete": "low",
        "remove_repo_from_devin": "low",
        "start_repo_setup": "info",
        "finish_repo_setup": "info",
        "delete_repo_setup": "low",
    },
    "secret": {
        "create_secret": "medium",
        "update_secret": "medium",
        "delete_secret": "medium",
    },
    "configuration": {
        "create_org": "medium",
        "update_org": "low",
        "delete_org": "high",
        "update_org_settings": "medium",
        "update_enterprise_settings": "high",
        "update_enterprise_hypervisor_settings": "high",
        "set_org_group_limits": "low",
        "enable_persona": "low",
        "disable_persona": "low",
        "delete_persona": "low",
        "create_blueprint": "low",
        "create_blueprint_pr": "low",
        "create_blueprint_version": "low",
        "create_enterprise_blueprint": "low",
        "create_enterprise_blueprint_version": "low",
        "cancel_blueprint_build": "info",
        "create_audit_log_export": "medium",
    },
    "guardrail": {
        # The audit-log side of a violation; its details (and severity) come from the
        # guardrail API, which records what the guardrail did.
        GUARDRAIL_VIOLATION_ACTION: "medium",
        # Changing a guardrail can switch a defence off.
        "update_ai_guardrail": "high",
    },
    "api_key": {
        "create_service_api_key": "medium",
        "create_org_api_key": "medium",
        "create_user_api_key": "medium",
        "create_service_user_api_key": "medium",
        "view_org_api_key": "high",
        "view_user_api_key": "high",
        "revoke_enterprise_api_key": "medium",
        "revoke_all_enterprise_api_keys": "high",
        "revoke_service_user_api_key": "low",
        "rotate_service_user_api_key": "low",
        "create_pat": "medium",
        "revoke_pat": "low",
        "rotate_pat": "low",
    },
}

ACTIONS: dict[str, Classification] = {
    action: Classification(category, severity, True)
    for category, actions in _FAMILIES.items()
    for action, severity in actions.items()
}
UNKNOWN = Classification("other", "info", False)


def classify_action(action: str | None) -> Classification:
    """Category and severity of an audit action; unknown or missing ones: ``other``, ``info``."""
    return ACTIONS.get(action, UNKNOWN) if action is not None else UNKNOWN


def guardrail_severity(action_taken: str | None, confidence: float | None) -> Classification:
    """Severity of a guardrail violation from what the guardrail did and how sure it was.

    ``log_only`` low, ``warn_user`` medium, ``block_message`` high, ``kill_session`` critical;
    one level higher when the confidence is at least 0.9 (capped at critical). ``known`` is False
    for an undocumented ``action_taken``.
    """
    base = GUARDRAIL_SEVERITY.get(action_taken or "")
    known = base is not None
    level = SEVERITIES.index(base or UNKNOWN_GUARDRAIL_SEVERITY)
    if confidence is not None and _as_fraction(confidence) >= HIGH_CONFIDENCE:
        level = min(level + 1, len(SEVERITIES) - 1)
    return Classification("guardrail", SEVERITIES[level], known)


def _as_fraction(confidence: float) -> float:
    # The range of confidence_score is undocumented (probably 0..1); a 0..100 scale would
    # otherwise bump every violation scored 0.9 or more.
    return confidence / 100 if confidence > 1 else confidence
