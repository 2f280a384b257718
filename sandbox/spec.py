"""The documented facts of Devin's REST API, as data.

Everything here is transcribed from `shared/devin-api.md` (the project's fact sheet); the
conformance tests parse that document and check these tuples against its tables, so an edit
to either side that is not mirrored on the other fails loudly. Nothing in this module is
invented: where the sheet says a fact is UNCONFIRMED, the sandbox's choice lives next to the
code that makes it, not here.
"""

from __future__ import annotations

from typing import Final

# §1.5 (a): the Stainless SDK snapshot, 97 values, in spec order.
AUDIT_ACTIONS_SNAPSHOT: Final[tuple[str, ...]] = (
    "login", "create_org", "update_org", "delete_org",
    "revoke_all_enterprise_api_keys", "add_enterprise_member", "delete_member", "add_member",
    "assign_roles", "update_role", "create_role", "delete_role",
    "add_group_membership", "update_group_membership", "delete_group_membership",
    "create_knowledge",
    "edit_knowledge", "delete_knowledge", "create_folder", "update_folder",
    "delete_folder", "create_session", "sleep_session", "terminate_session",
    "send_message", "create_service_api_key", "revoke_enterprise_api_key",
    "create_gitlab_integration",
    "update_gitlab_integration", "reconnect_gitlab_integration", "delete_gitlab_integration",
    "create_azure_devops_integration",
    "reconnect_azure_devops_integration", "delete_azure_devops_integration",
    "remove_repo_from_devin", "update_enterprise_hypervisor_settings",
    "update_enterprise_settings", "update_org_settings", "ai_guardrail_violation",
    "update_ai_guardrail",
    "approve_deploy", "approve_test_app", "permission_response", "search_query",
    "create_org_api_key", "create_user_api_key", "view_org_api_key", "view_user_api_key",
    "create_secret", "update_secret", "delete_secret", "create_playbook",
    "update_playbook", "delete_playbook", "enable_persona", "disable_persona",
    "delete_persona", "start_repo_setup", "delete_repo_setup", "finish_repo_setup",
    "github_integration_deleted", "create_github_integration", "delete_github_integration",
    "refresh_github_integration",
    "create_bitbucket_integration", "delete_bitbucket_integration", "mcp_server_install",
    "mcp_server_enable",
    "mcp_server_disable", "mcp_server_delete", "create_mcp_validation_session",
    "create_service_user",
    "delete_service_user", "assign_service_user_role", "remove_service_user_role",
    "create_git_permission",
    "delete_git_permission", "update_git_permission", "create_maintenance_task",
    "update_maintenance_task",
    "delete_maintenance_task", "create_snapshot_script", "schedule_snapshot_script",
    "execute_snapshot_script",
    "update_repo_setup_steering_knowledge", "delete_repo_setup_steering_knowledge",
    "set_org_group_limits", "create_join_request",
    "approve_join_request", "automatic_join_event", "reject_join_request",
    "create_service_user_api_key",
    "revoke_service_user_api_key", "rotate_service_user_api_key", "create_pat", "revoke_pat",
    "rotate_pat",
)  # fmt: skip

# §1.5 (b): values the docs TypeScript SDK has beyond the snapshot (read only up to "c").
AUDIT_ACTIONS_NEWER: Final[tuple[str, ...]] = (
    "accept_skill_pr",
    "acknowledge_session_hard_cap",
    "approve_seat_request",
    "cancel_blueprint_build",
    "claim_outpost_session",
    "create_audit_log_export",
    "create_automation",
    "create_blueprint",
    "create_blueprint_pr",
    "create_blueprint_version",
    "create_enterprise_blueprint",
    "create_enterprise_blueprint_version",
    "create_gitlab_app_config",
)

AUDIT_ACTIONS: Final[tuple[str, ...]] = AUDIT_ACTIONS_SNAPSHOT + AUDIT_ACTIONS_NEWER
AUDIT_ACTION_SET: Final[frozenset[str]] = frozenset(AUDIT_ACTIONS)

# §2.3 / §2.4: the feature page's values; the API schema itself says only "string".
ACTION_TAKEN: Final[tuple[str, ...]] = ("log_only", "warn_user", "block_message", "kill_session")

# §1.3: AuditLogResponse, every key always present.
AUDIT_LOG_FIELDS: Final[tuple[str, ...]] = (
    "audit_log_id",
    "action",
    "created_at",
    "data",
    "org_id",
    "user_id",
    "user_email",
    "service_user_id",
    "service_user_name",
)
AUDIT_LOG_NULLABLE: Final[frozenset[str]] = frozenset(
    {"org_id", "user_id", "user_email", "service_user_id", "service_user_name"}
)

# §2.3: GuardrailViolationResponse, every key required.
GUARDRAIL_VIOLATION_FIELDS: Final[tuple[str, ...]] = (
    "violation_id",
    "event_id",
    "created_at",
    "org_id",
    "session_id",
    "guardrail_id",
    "guardrail_name",
    "action_taken",
    "confidence_score",
    "reasoning",
    "user_message",
)
GUARDRAIL_VIOLATION_NULLABLE: Final[frozenset[str]] = frozenset({"session_id"})

# §3.1: SessionResponse as the current docs SDK has it (is_advanced dropped, origin added).
SESSION_FIELDS: Final[tuple[str, ...]] = (
    "session_id",
    "org_id",
    "status",
    "status_detail",
    "title",
    "tags",
    "url",
    "created_at",
    "updated_at",
    "acus_consumed",
    "pull_requests",
    "user_id",
    "service_user_id",
    "origin",
    "category",
    "playbook_id",
    "parent_session_id",
    "child_session_ids",
    "is_archived",
    "structured_output",
)
SESSION_STATUSES: Final[tuple[str, ...]] = (
    "new", "claimed", "running", "exit", "error", "suspended", "resuming",
)  # fmt: skip
SESSION_STATUS_DETAILS: Final[tuple[str, ...]] = (
    "working", "waiting_for_user", "waiting_for_approval", "finished", "inactivity",
    "user_request", "usage_limit_exceeded", "out_of_credits", "out_of_quota",
    "no_quota_allocation", "payment_declined", "org_usage_limit_exceeded",
    "total_session_limit_exceeded", "error",
)  # fmt: skip
# §3.1: the current docs SDK `Origin` response enum.
SESSION_ORIGINS: Final[tuple[str, ...]] = (
    "api", "automation", "cli", "code_scan", "desktop", "jira", "linear", "other", "slack",
    "teams", "webapp",
)  # fmt: skip

# §3.2 - §3.5: enrichment items.
ORGANIZATION_FIELDS: Final[tuple[str, ...]] = (
    "org_id",
    "name",
    "created_at",
    "updated_at",
    "max_cycle_acu_limit",
    "max_session_acu_limit",
)
USER_FIELDS: Final[tuple[str, ...]] = ("user_id", "email", "name", "role_assignments")
SERVICE_USER_FIELDS: Final[tuple[str, ...]] = (
    "service_user_id",
    "name",
    "expires_at",
    "role_assignments",
)
SELF_FIELDS: Final[tuple[str, ...]] = (
    "principal_type",
    "service_user_id",
    "service_user_name",
    "org_id",
)
ROLE_TYPES: Final[tuple[str, ...]] = ("enterprise", "org")

# §0.4: the cursor-pagination envelope and its limits.
ENVELOPE_FIELDS: Final[tuple[str, ...]] = ("items", "end_cursor", "has_next_page", "total")
FIRST_DEFAULT: Final[int] = 100
FIRST_MIN: Final[int] = 1
FIRST_MAX: Final[int] = 200
ORDERS: Final[tuple[str, ...]] = ("asc", "desc")
ORDER_DEFAULT: Final[str] = "desc"
# §1.2: time_before - time_after must be <= 100 days.
MAX_WINDOW_SECONDS: Final[int] = 100 * 86_400

# §4.2: ProblemDetail.
PROBLEM_FIELDS: Final[tuple[str, ...]] = ("type", "title", "status", "detail", "instance")
PROBLEM_CONTENT_TYPE: Final[str] = "application/problem+json"

# §0.3: enterprise permissions (plus ViewAccountMembership, which one doc copy names).
PERMISSIONS: Final[tuple[str, ...]] = (
    "ReadAccountMeta",
    "ManageEnterpriseSettings",
    "ManageOrganizations",
    "ManageAccountMembership",
    "ViewAccountMembership",
    "ViewAccountSessions",
    "ManageAccountSessions",
    "ViewAccountMetrics",
    "ManageBilling",
)

# §0.2: credential prefixes.
V3_TOKEN_PREFIX: Final[str] = "cog_"
LEGACY_TOKEN_PREFIXES: Final[tuple[str, ...]] = ("apk_user_", "apk_")

# §3.6: id formats (the audit-log one is the legacy v2 format; v3's is UNCONFIRMED).
SESSION_ID_PREFIX: Final[str] = "devin-"
ORG_ID_PREFIX: Final[str] = "org-"
AUDIT_LOG_ID_PREFIX: Final[str] = "audit_log-"
SERVICE_USER_ID_PREFIX: Final[str] = "service-user-"
