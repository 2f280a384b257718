"""Which OCSF 1.7.0 class and activity each Devin audit action becomes.

One entry per action of the documented ``AuditLogAction`` enum (devin-api.md §1.5 a and b).
The families:

* ``login`` → Authentication (3002), Logon.
* Account lifecycle and credentials → Account Change (3001): members joining or leaving the
  enterprise or an org, service users created or deleted, join and seat requests, API keys and
  personal access tokens created, revoked or rotated. OCSF has no activity for credentials, so
  those are Other (99) with the action as the activity name.
* Privileges of one user → User Access Management (3005): role assignments.
* Privileges of a group → Group Management (3006): group memberships, which grant an IdP group
  roles in an org (``target_group_name`` and ``roles[]``). OCSF's own class for them fits better
  than 3005, whose required ``user`` such a record does not have.
* Things Devin is configured with → Entity Management (3004): orgs and settings, roles and git
  permissions, knowledge, playbooks, secrets, integrations, MCP servers, repo setups, personas,
  blueprints, maintenance tasks, snapshot scripts, automations, guardrails, audit-log exports;
  reading an API key is this class's Read.
* The audit-log side of a guardrail violation → Detection Finding (2004), like the violation.
* Everything else, sessions and unknown actions included → API Activity (6003).
"""

from __future__ import annotations

from typing import NamedTuple

OCSF_VERSION = "1.7.0"
OTHER = 99


class OcsfClass(NamedTuple):
    uid: int
    name: str
    category_uid: int
    category_name: str
    activities: dict[int, str]  # activity_id → caption, as the schema spells them


class ClassMapping(NamedTuple):
    """An action's class, activity and, for Entity Management, the kind of entity touched."""

    cls: OcsfClass
    activity_id: int
    entity: str | None = None


_IAM = (3, "Identity & Access Management")

AUTHENTICATION = OcsfClass(3002, "Authentication", *_IAM, {1: "Logon", 2: "Logoff", 99: "Other"})
ACCOUNT_CHANGE = OcsfClass(
    3001,
    "Account Change",
    *_IAM,
    {
        1: "Create",
        2: "Enable",
        3: "Password Change",
        4: "Password Reset",
        5: "Disable",
        6: "Delete",
        99: "Other",
    },
)
ENTITY_MANAGEMENT = OcsfClass(
    3004,
    "Entity Management",
    *_IAM,
    {1: "Create", 2: "Read", 3: "Update", 4: "Delete", 8: "Enable", 9: "Disable", 99: "Other"},
)
USER_ACCESS = OcsfClass(
    3005, "User Access Management", *_IAM, {1: "Assign Privileges", 2: "Revoke Privileges"}
)
GROUP_MANAGEMENT = OcsfClass(
    3006,
    "Group Management",
    *_IAM,
    {1: "Assign Privileges", 2: "Revoke Privileges", 99: "Other"},
)
DETECTION_FINDING = OcsfClass(2004, "Detection Finding", 2, "Findings", {1: "Create"})
API_ACTIVITY = OcsfClass(
    6003,
    "API Activity",
    6,
    "Application Activity",
    {1: "Create", 2: "Read", 3: "Update", 4: "Delete", 99: "Other"},
)

CLASSES: tuple[OcsfClass, ...] = (
    AUTHENTICATION,
    ACCOUNT_CHANGE,
    ENTITY_MANAGEMENT,
    USER_ACCESS,
    GROUP_MANAGEMENT,
    DETECTION_FINDING,
    API_ACTIVITY,
)

# Activity ids by name, to keep the table below readable.
CREATE, READ, UPDATE, DELETE, ENABLE, DISABLE = 1, 2, 3, 4, 8, 9
ACCOUNT_CREATE, ACCOUNT_ENABLE, ACCOUNT_DELETE = 1, 2, 6
ASSIGN, REVOKE = 1, 2


def _entities(entity: str, **actions: int) -> dict[str, ClassMapping]:
    return {a: ClassMapping(ENTITY_MANAGEMENT, activity, entity) for a, activity in actions.items()}


def _in(cls: OcsfClass, **actions: int) -> dict[str, ClassMapping]:
    return {action: ClassMapping(cls, activity) for action, activity in actions.items()}


ACTION_CLASSES: dict[str, ClassMapping] = {
    **_in(AUTHENTICATION, login=1),
    **_in(
        ACCOUNT_CHANGE,
        add_enterprise_member=ACCOUNT_CREATE,
        add_member=ACCOUNT_CREATE,
        delete_member=ACCOUNT_DELETE,
        create_service_user=ACCOUNT_CREATE,
        delete_service_user=ACCOUNT_DELETE,
        create_join_request=OTHER,
        approve_join_request=ACCOUNT_CREATE,
        reject_join_request=OTHER,
        automatic_join_event=ACCOUNT_CREATE,
        approve_seat_request=ACCOUNT_ENABLE,
        create_service_api_key=OTHER,
        create_org_api_key=OTHER,
        create_user_api_key=OTHER,
        create_service_user_api_key=OTHER,
        revoke_enterprise_api_key=OTHER,
        revoke_all_enterprise_api_keys=OTHER,
        revoke_service_user_api_key=OTHER,
        rotate_service_user_api_key=OTHER,
        create_pat=OTHER,
        revoke_pat=OTHER,
        rotate_pat=OTHER,
    ),
    **_in(
        USER_ACCESS,
        assign_roles=ASSIGN,
        assign_service_user_role=ASSIGN,
        remove_service_user_role=REVOKE,
    ),
    **_in(
        GROUP_MANAGEMENT,
        add_group_membership=ASSIGN,
        update_group_membership=OTHER,
        delete_group_membership=REVOKE,
    ),
    **_entities("Organization", create_org=CREATE, update_org=UPDATE, delete_org=DELETE),
    **_entities("Organization Settings", update_org_settings=UPDATE),
    **_entities("Organization Group Limits", set_org_group_limits=UPDATE),
    **_entities(
        "Enterprise Settings",
        update_enterprise_settings=UPDATE,
        update_enterprise_hypervisor_settings=UPDATE,
    ),
    **_entities("Role", create_role=CREATE, update_role=UPDATE, delete_role=DELETE),
    **_entities(
        "Git Permission",
        create_git_permission=CREATE,
        update_git_permission=UPDATE,
        delete_git_permission=DELETE,
    ),
    **_entities("API Key", view_org_api_key=READ, view_user_api_key=READ),
    **_entities(
        "Knowledge", create_knowledge=CREATE, edit_knowledge=UPDATE, delete_knowledge=DELETE
    ),
    **_entities(
        "Knowledge Folder", create_folder=CREATE, update_folder=UPDATE, delete_folder=DELETE
    ),
    **_entities("Playbook", create_playbook=CREATE, update_playbook=UPDATE, delete_playbook=DELETE),
    **_entities(
        "Repo Setup Steering Knowledge",
        update_repo_setup_steering_knowledge=UPDATE,
        delete_repo_setup_steering_knowledge=DELETE,
    ),
    **_entities("Skill PR", accept_skill_pr=OTHER),
    **_entities("Secret", create_secret=CREATE, update_secret=UPDATE, delete_secret=DELETE),
    **_entities(
        "GitHub Integration",
        create_github_integration=CREATE,
        delete_github_integration=DELETE,
        github_integration_deleted=DELETE,
        refresh_github_integration=UPDATE,
    ),
    **_entities(
        "GitLab Integration",
        create_gitlab_integration=CREATE,
        update_gitlab_integration=UPDATE,
        reconnect_gitlab_integration=UPDATE,
        delete_gitlab_integration=DELETE,
    ),
    **_entities("GitLab App Config", create_gitlab_app_config=CREATE),
    **_entities(
        "Azure DevOps Integration",
        create_azure_devops_integration=CREATE,
        reconnect_azure_devops_integration=UPDATE,
        delete_azure_devops_integration=DELETE,
    ),
    **_entities(
        "Bitbucket Integration",
        create_bitbucket_integration=CREATE,
        delete_bitbucket_integration=DELETE,
    ),
    **_entities(
        "MCP Server",
        mcp_server_install=CREATE,
        mcp_server_enable=ENABLE,
        mcp_server_disable=DISABLE,
        mcp_server_delete=DELETE,
    ),
    **_entities("Repository", remove_repo_from_devin=DELETE),
    **_entities(
        "Repo Setup",
        start_repo_setup=CREATE,
        finish_repo_setup=UPDATE,
        delete_repo_setup=DELETE,
    ),
    **_entities("Persona", enable_persona=ENABLE, disable_persona=DISABLE, delete_persona=DELETE),
    **_entities("Blueprint", create_blueprint=CREATE, create_enterprise_blueprint=CREATE),
    **_entities(
        "Blueprint Version",
        create_blueprint_version=CREATE,
        create_enterprise_blueprint_version=CREATE,
    ),
    **_entities("Blueprint PR", create_blueprint_pr=CREATE),
    **_entities("Blueprint Build", cancel_blueprint_build=OTHER),
    **_entities("Audit Log Export", create_audit_log_export=CREATE),
    **_entities("AI Guardrail", update_ai_guardrail=UPDATE),
    **_entities(
        "Maintenance Task",
        create_maintenance_task=CREATE,
        update_maintenance_task=UPDATE,
        delete_maintenance_task=DELETE,
    ),
    **_entities("Snapshot Script", create_snapshot_script=CREATE, schedule_snapshot_script=UPDATE),
    **_entities("Automation", create_automation=CREATE),
    **_in(DETECTION_FINDING, ai_guardrail_violation=1),
    **_in(
        API_ACTIVITY,
        create_session=CREATE,
        sleep_session=UPDATE,
        terminate_session=OTHER,
        send_message=CREATE,
        approve_deploy=OTHER,
        approve_test_app=OTHER,
        permission_response=OTHER,
        create_mcp_validation_session=CREATE,
        acknowledge_session_hard_cap=OTHER,
        claim_outpost_session=OTHER,
        execute_snapshot_script=OTHER,
        search_query=READ,
    ),
}

UNKNOWN_ACTION = ClassMapping(API_ACTIVITY, OTHER)


def class_of(action: str | None) -> ClassMapping:
    """The class and activity of an audit action; unknown or missing ones: API Activity, Other."""
    return ACTION_CLASSES.get(action or "", UNKNOWN_ACTION)
