"""The `data` object of each audit action.

v3 does not document `data` (§1.3); these shapes follow the legacy v2 "Action Types and Data
Schemas" where there is one (`target_user_id` + `roles` for member changes, `session_id` for
sessions) and plausible ids elsewhere. Session-bound actions build their payloads where the
session is simulated (`sandbox.activity`), since they need its ids.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.roster import Org, Roster
from sandbox.seeds import hex_token

Payload = dict[str, Any]


@dataclass(frozen=True)
class PayloadContext:
    """What a payload may refer to: the directory, the acting org and the time."""

    roster: Roster
    org: Org | None
    enterprise_id: str
    now: int


_KNOWLEDGE_NAMES = (
    "Deploy checklist", "Coding conventions", "How to run the test suite", "Staging access",
    "Release process", "On-call runbook", "Feature flag policy", "Database migrations",
)  # fmt: skip
_SECRET_NAMES = (
    "STAGING_DB_URL", "NPM_TOKEN", "SENTRY_DSN", "DATADOG_API_KEY", "GH_PACKAGES_TOKEN",
    "SLACK_WEBHOOK_URL", "OPENAI_API_KEY", "PYPI_TOKEN",
)  # fmt: skip
_MCP_SERVERS = ("linear", "sentry", "datadog", "notion", "postgres", "figma", "pagerduty")
_SETTINGS = (
    "session_defaults", "repo_permissions", "sso", "data_retention", "ip_allowlist",
    "default_machine", "notifications", "acu_limits",
)  # fmt: skip
_GROUPS = ("eng-all", "eng-platform", "sec-team", "contractors", "data-science", "sre-oncall")


def _repo(rng: random.Random, ctx: PayloadContext) -> str:
    org = ctx.org or rng.choice(ctx.roster.orgs)
    return f"{org.slug}/{rng.choice(org.repos)}"


def _target_user(rng: random.Random, ctx: PayloadContext) -> str:
    return rng.choice(ctx.roster.users).user_id


def _org_roles(rng: random.Random) -> list[str]:
    return ["Org Admin"] if rng.random() < 0.1 else ["Org Member"]


def _change(rng: random.Random, key: str) -> Payload:
    return {key: {"old": rng.choice((False, None, 10)), "new": rng.choice((True, 25, "enabled"))}}


def _knowledge(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"knowledge_id": f"note-{hex_token(rng, 24)}", "name": rng.choice(_KNOWLEDGE_NAMES)}


def _folder(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"folder_id": f"folder-{hex_token(rng, 16)}", "name": rng.choice(_GROUPS)}


def _playbook(rng: random.Random, ctx: PayloadContext) -> Payload:
    org = ctx.org or rng.choice(ctx.roster.orgs)
    return {"playbook_id": rng.choice(org.playbook_ids), "title": rng.choice(_KNOWLEDGE_NAMES)}


def _secret(rng: random.Random, ctx: PayloadContext) -> Payload:
    # Only the secret's name and id: audit logs never carry secret values.
    return {"secret_id": f"secret-{hex_token(rng, 16)}", "secret_name": rng.choice(_SECRET_NAMES)}


def _repo_payload(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"repo_name": _repo(rng, ctx)}


def _integration(provider: str) -> Callable[[random.Random, PayloadContext], Payload]:
    def build(rng: random.Random, ctx: PayloadContext) -> Payload:
        org = ctx.org.slug if ctx.org else "enterprise"
        return {
            "integration_id": f"integration-{hex_token(rng, 16)}",
            "provider": provider,
            "installation_name": org,
        }

    return build


def _mcp(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"mcp_server_id": f"mcp-{hex_token(rng, 16)}", "name": rng.choice(_MCP_SERVERS)}


def _persona(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"persona_id": f"persona-{hex_token(rng, 12)}", "name": "reviewer"}


def _task(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {
        "task_id": f"task-{hex_token(rng, 16)}",
        "repo_name": _repo(rng, ctx),
        "schedule": rng.choice(("0 3 * * 1", "0 6 * * *", "30 2 1 * *")),
    }


def _script(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"script_id": f"script-{hex_token(rng, 16)}", "repo_name": _repo(rng, ctx)}


def _automation(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {
        "automation_id": f"automation-{hex_token(rng, 16)}",
        "trigger": rng.choice(("schedule", "webhook", "jira_label", "alert")),
    }


def _blueprint(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"blueprint_id": f"blueprint-{hex_token(rng, 16)}", "version": rng.randint(1, 40)}


def _skill_pr(rng: random.Random, ctx: PayloadContext) -> Payload:
    number = rng.randint(1, 9000)
    return {"pr_url": f"https://github.example-corp.test/{_repo(rng, ctx)}/pull/{number}"}


def _join_request(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {
        "join_request_id": f"join-{hex_token(rng, 16)}",
        "target_user_id": _target_user(rng, ctx),
    }


def _automatic_join(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"target_user_id": _target_user(rng, ctx), "email_domain": "example-corp.test"}


def _api_key(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {
        "api_key_id": f"key-{hex_token(rng, 16)}",
        "key_name": rng.choice(("ci", "local", "jira")),
    }


def _pat(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {
        "pat_id": f"pat-{hex_token(rng, 16)}",
        "name": rng.choice(("laptop", "scripts", "ide-plugin")),
        "expires_at": ctx.now + rng.choice((30, 90, 365)) * 86_400,
    }


def _settings(rng: random.Random, ctx: PayloadContext) -> Payload:
    setting = rng.choice(_SETTINGS)
    return {"setting_type": setting, "changes": _change(rng, setting)}


def _hypervisor(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"setting_type": "hypervisor", "changes": _change(rng, "default_machine_size")}


def _member_roles(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"target_user_id": _target_user(rng, ctx), "roles": _org_roles(rng)}


def _enterprise_member(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"target_user_id": _target_user(rng, ctx), "roles": ["Enterprise Member"]}


def _delete_member(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"target_user_id": _target_user(rng, ctx), "enterprise_id": ctx.enterprise_id}


def _group(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"target_group_name": rng.choice(_GROUPS), "roles": _org_roles(rng)}


def _role(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {
        "role_id": f"role-{hex_token(rng, 12)}",
        "role_name": rng.choice(("Auditor", "Read Only", "Release Manager", "Contractor")),
    }


def _service_user(rng: random.Random, ctx: PayloadContext) -> Payload:
    su = rng.choice(ctx.roster.service_users)
    return {"target_service_user_id": su.service_user_id, "name": su.name}


def _service_user_key(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {**_service_user(rng, ctx), "api_key_id": f"key-{hex_token(rng, 16)}"}


def _org_change(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"target_org_id": f"org-{hex_token(rng, 12)}", "name": "Sandbox Experiments"}


def _guardrail(rng: random.Random, ctx: PayloadContext) -> Payload:
    guardrail = rng.choice(ctx.roster.guardrails)
    return {
        "guardrail_id": guardrail.guardrail_id,
        "guardrail_name": guardrail.name,
        "enabled": rng.random() < 0.85,
        "action": rng.choice(("log_only", "warn_user", "block_message", "kill_session")),
    }


def _org_group_limits(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"org_group_id": f"group-{hex_token(rng, 12)}", "max_cycle_acu_limit": 10_000}


def _git_permission(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {
        "git_permission_id": f"gitperm-{hex_token(rng, 12)}",
        "repo_pattern": _repo(rng, ctx).split("/")[0] + "/*",
        "access": rng.choice(("read", "write")),
    }


def _export(rng: random.Random, ctx: PayloadContext) -> Payload:
    return {"export_id": f"export-{hex_token(rng, 16)}", "format": "csv"}


BUILDERS: dict[str, Callable[[random.Random, PayloadContext], Payload]] = {
    **dict.fromkeys(("create_knowledge", "edit_knowledge", "delete_knowledge"), _knowledge),
    **dict.fromkeys(("create_folder", "update_folder", "delete_folder"), _folder),
    **dict.fromkeys(("create_playbook", "update_playbook", "delete_playbook"), _playbook),
    **dict.fromkeys(("create_secret", "update_secret", "delete_secret"), _secret),
    **dict.fromkeys(
        (
            "start_repo_setup", "finish_repo_setup", "delete_repo_setup",
            "update_repo_setup_steering_knowledge", "delete_repo_setup_steering_knowledge",
            "remove_repo_from_devin",
        ),
        _repo_payload,
    ),
    **dict.fromkeys(
        (
            "create_github_integration", "delete_github_integration",
            "refresh_github_integration", "github_integration_deleted",
        ),
        _integration("github"),
    ),
    **dict.fromkeys(
        (
            "create_gitlab_integration", "update_gitlab_integration",
            "reconnect_gitlab_integration", "delete_gitlab_integration",
            "create_gitlab_app_config",
        ),
        _integration("gitlab"),
    ),
    **dict.fromkeys(
        (
            "create_azure_devops_integration", "reconnect_azure_devops_integration",
            "delete_azure_devops_integration",
        ),
        _integration("azure_devops"),
    ),
    **dict.fromkeys(
        ("create_bitbucket_integration", "delete_bitbucket_integration"),
        _integration("bitbucket"),
    ),
    **dict.fromkeys(
        (
            "mcp_server_install", "mcp_server_enable", "mcp_server_disable",
            "mcp_server_delete", "create_mcp_validation_session",
        ),
        _mcp,
    ),
    **dict.fromkeys(("enable_persona", "disable_persona", "delete_persona"), _persona),
    **dict.fromkeys(
        ("create_maintenance_task", "update_maintenance_task", "delete_maintenance_task"), _task
    ),
    **dict.fromkeys(
        ("create_snapshot_script", "schedule_snapshot_script", "execute_snapshot_script"),
        _script,
    ),
    "create_automation": _automation,
    **dict.fromkeys(
        (
            "create_blueprint", "create_blueprint_version", "create_blueprint_pr",
            "cancel_blueprint_build", "create_enterprise_blueprint",
            "create_enterprise_blueprint_version",
        ),
        _blueprint,
    ),
    "accept_skill_pr": _skill_pr,
    **dict.fromkeys(
        ("create_join_request", "approve_join_request", "reject_join_request",
         "approve_seat_request"),
        _join_request,
    ),
    "automatic_join_event": _automatic_join,
    **dict.fromkeys(
        (
            "view_org_api_key", "view_user_api_key", "create_user_api_key",
            "create_org_api_key", "create_service_api_key", "revoke_enterprise_api_key",
        ),
        _api_key,
    ),
    **dict.fromkeys(("create_pat", "rotate_pat", "revoke_pat"), _pat),
    "update_enterprise_settings": _settings,
    "update_org_settings": _settings,
    "update_org": _settings,
    "update_enterprise_hypervisor_settings": _hypervisor,
    "add_member": _member_roles,
    "assign_roles": _member_roles,
    "add_enterprise_member": _enterprise_member,
    "delete_member": _delete_member,
    **dict.fromkeys(
        ("add_group_membership", "update_group_membership", "delete_group_membership"), _group
    ),
    **dict.fromkeys(("create_role", "update_role", "delete_role"), _role),
    **dict.fromkeys(
        ("create_service_user", "delete_service_user", "assign_service_user_role",
         "remove_service_user_role"),
        _service_user,
    ),
    **dict.fromkeys(
        ("create_service_user_api_key", "revoke_service_user_api_key",
         "rotate_service_user_api_key"),
        _service_user_key,
    ),
    "create_org": _org_change,
    "delete_org": _org_change,
    "update_ai_guardrail": _guardrail,
    "set_org_group_limits": _org_group_limits,
    **dict.fromkeys(
        ("create_git_permission", "update_git_permission", "delete_git_permission"),
        _git_permission,
    ),
    "create_audit_log_export": _export,
    "revoke_all_enterprise_api_keys": lambda rng, ctx: {"enterprise_id": ctx.enterprise_id},
}


def payload(action: str, rng: random.Random, ctx: PayloadContext) -> Payload:
    """The `data` object for a background (non-session) action; `{}` when it has no shape."""
    builder = BUILDERS.get(action)
    return builder(rng, ctx) if builder else {}
