"""Lake events as Elastic Common Schema (ECS 8.17) documents.

``to_ecs`` is pure: an ``events`` row in, plus optionally its source row for detail, one ECS
document out as a nested dict with no None values. The categorization follows the row's OCSF
class (``pipeline.export.ocsf_classes``) so that both exports tell the same story:

* Authentication → ``authentication`` / ``start``.
* Account Change, User Access Management → ``iam`` / ``user`` + creation, deletion or change.
* Group Management → ``iam`` / ``group`` + creation, change or deletion.
* Entity Management → ``configuration`` / creation, change, deletion or access; roles and git
  permissions are access control, so ``iam`` / ``admin`` instead.
* API Activity → ``api`` / creation, access, change or info; session lifecycle adds ``session``.
* Guardrail violations (and their audit-log side) → ``event.kind: alert``,
  ``intrusion_detection`` / allowed, denied or info by what the guardrail did.

``event.outcome`` is set only when the lake knows it: the API records no result for an audit
action, and a guardrail's ``action_taken`` is a disposition (``event.type``), not an outcome.
``event.risk_score`` of a violation follows Elastic Security's severity scale (21, 47, 73, 99),
as the API gives no score of its own. Fields ECS lacks live under ``devin.*``.
"""

from __future__ import annotations

from typing import Any

from pipeline.export import record
from pipeline.export.ocsf_classes import (
    ACCOUNT_CHANGE,
    API_ACTIVITY,
    AUTHENTICATION,
    DETECTION_FINDING,
    ENTITY_MANAGEMENT,
    GROUP_MANAGEMENT,
    USER_ACCESS,
    ClassMapping,
    class_of,
)
from pipeline.export.record import PRODUCT, VENDOR, Actor, Row

ECS_VERSION = "8.17.0"
MODULE = "devin"
PROVIDER = "devin-api"

# Our severity → event.severity (the OCSF severity_id scale, so both exports sort alike) and
# event.risk_score for alerts (Elastic Security's rule severity scale).
SEVERITY_NUMBER: dict[str, int] = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
RISK_SCORE: dict[str, float] = {
    "info": 0.0,
    "low": 21.0,
    "medium": 47.0,
    "high": 73.0,
    "critical": 99.0,
}

# An activity id of the OCSF class → the ECS event.type it reads as.
_CRUD_TYPE = {1: "creation", 2: "access", 3: "change", 4: "deletion", 8: "change", 9: "change"}
_ACCOUNT_TYPE = {1: "creation", 2: "change", 6: "deletion"}
_GROUP_TYPE = {1: "creation", 2: "deletion"}
_GUARDRAIL_TYPE = {"warn_user": "allowed", "block_message": "denied", "kill_session": "denied"}
_SESSION_TYPE = {"create_session": "start", "terminate_session": "end", "sleep_session": "info"}
_IAM_ENTITIES = frozenset({"Role", "Git Permission"})


def to_ecs(
    event: Row,
    *,
    audit: Row | None = None,
    violation: Row | None = None,
    org_name: str | None = None,
    actor_name: str | None = None,
    session_origin: str | None = None,
    session_title: str | None = None,
) -> dict[str, Any]:
    """The ECS document of one ``events`` row.

    ``audit``/``violation`` is the row's source record, if the caller has it; the keyword names
    override the row's enrichment columns of the same name. Raises ``KeyError`` if the row
    lacks ``event_id``, ``source``, ``source_id`` or ``event_time``.
    """
    is_violation = event["source"] == record.VIOLATION_SOURCE
    source = violation if is_violation else audit
    names = {
        "org_name": org_name,
        "actor_name": actor_name,
        "session_origin": session_origin,
        "session_title": session_title,
    }
    names = {k: v or event.get(k) or (source or {}).get(k) for k, v in names.items()}
    actor = record.actor(event, source, names["actor_name"])
    if is_violation and actor.kind is None and source is not None:
        actor = record.session_actor(source) or actor
    data = {} if is_violation else record.audit_data(audit)
    action = event.get("action") or None  # an empty action is as missing as an absent one
    mapping = class_of(action)
    # What the guardrail did: the violation row says; the events row keeps it as ``outcome``.
    taken = ((source or {}).get("action_taken") or event.get("outcome")) if is_violation else None
    kind, categories, types = _categorize(mapping, action, taken)
    target = None if is_violation else record.target(event, data)
    severity = event.get("severity")

    document: dict[str, Any] = {
        "@timestamp": record.iso_utc(event["event_time"]),
        "message": _message(actor, action, source if is_violation else None),
        "ecs": {"version": ECS_VERSION},
        "event": {
            "id": event["event_id"],
            "kind": kind,
            "category": categories,
            "type": types,
            "action": action,
            "outcome": event.get("outcome") if event.get("outcome") in _OUTCOMES else None,
            "severity": SEVERITY_NUMBER.get(severity or ""),
            "risk_score": RISK_SCORE.get(severity or "") if kind == "alert" else None,
            "dataset": f"{MODULE}.{'guardrail_violations' if is_violation else 'audit_logs'}",
            "module": MODULE,
            "provider": PROVIDER,
            "created": record.iso_utc(event.get("_fetched_at")),
            "ingested": record.iso_utc(event.get("_ingested_at")),
            "reason": (source or {}).get("reasoning") if is_violation else None,
        },
        "observer": {"vendor": VENDOR, "product": PRODUCT},
        "user": _user(actor, target),
        "group": {"name": target.id} if target is not None and target.kind == "group" else None,
        "organization": {"id": event.get("org_id"), "name": names["org_name"]},
        "rule": _rule(source) if is_violation else None,
        "related": {"user": _related_users(actor, target)},
        "labels": {"devin_category": event.get("category"), "devin_severity": severity},
        "devin": _devin(event, actor, names, data, source if is_violation else None),
    }
    return record.prune(document)


_OUTCOMES = frozenset({"success", "failure", "unknown"})


def _categorize(
    mapping: ClassMapping, action: str | None, action_taken: str | None
) -> tuple[str, list[str], list[str]]:
    """(event.kind, event.category, event.type) of an audit action or, given what a guardrail
    did (``action_taken``), of a violation."""
    cls, activity, entity = mapping
    if action_taken is not None or cls is DETECTION_FINDING:
        return "alert", ["intrusion_detection"], [_GUARDRAIL_TYPE.get(action_taken or "", "info")]
    if cls is AUTHENTICATION:
        return "event", ["authentication"], ["start"]
    if cls is ACCOUNT_CHANGE:
        return "event", ["iam"], ["user", _ACCOUNT_TYPE.get(activity, "change")]
    if cls is USER_ACCESS:
        return "event", ["iam"], ["user", "change"]
    if cls is GROUP_MANAGEMENT:
        return "event", ["iam"], ["group", _GROUP_TYPE.get(activity, "change")]
    if cls is ENTITY_MANAGEMENT:
        verb = _CRUD_TYPE.get(activity, "change")
        if entity in _IAM_ENTITIES:
            return "event", ["iam"], ["admin", "info" if verb == "access" else verb]
        return "event", ["configuration"], [verb]
    if action in _SESSION_TYPE:
        return "event", ["api", "session"], [_SESSION_TYPE[action]]
    assert cls is API_ACTIVITY  # every other mapping is handled above
    return "event", ["api"], [_CRUD_TYPE.get(activity, "info")]


def _user(actor: Actor, target: record.Target | None) -> dict[str, Any] | None:
    user: dict[str, Any] = {}
    if actor.kind in ("user", "service_user"):
        user = {"id": actor.id, "email": actor.email, "name": actor.name}
    if target is not None and target.kind != "group":
        user["target"] = {"id": target.id}
    return user or None


def _rule(violation: Row | None) -> dict[str, Any] | None:
    if violation is None:
        return None
    return {
        "id": violation.get("guardrail_id"),
        "name": violation.get("guardrail_name"),
        "ruleset": "Devin AI Guardrails",
        "category": "AI Guardrail",
    }


def _related_users(actor: Actor, target: record.Target | None) -> list[str] | None:
    values = [actor.id, actor.email, actor.name]
    if target is not None and target.kind != "group":
        values.append(target.id)
    unique = list(dict.fromkeys(v for v in values if v))
    return unique or None


def _devin(
    event: Row,
    actor: Actor,
    names: dict[str, str | None],
    data: dict[str, Any],
    violation: Row | None,
) -> dict[str, Any]:
    session_id = event.get("session_id")
    devin: dict[str, Any] = {
        "source": event["source"],
        "source_id": event["source_id"],
        "category": event.get("category"),
        "severity": event.get("severity"),
        "actor": {"type": actor.kind},
        "target": event.get("target"),
        "session": None
        if session_id is None
        else {"id": session_id, "origin": names["session_origin"], "title": names["session_title"]},
        "run_id": event.get("_run_id"),
        # The action payload as JSON text: its keys vary by action, which would make a mapping
        # explode if indexed as an object.
        "audit": {"data": record.to_json(data) if data else None},
    }
    if violation is not None:
        devin["guardrail"] = {
            "event_id": violation.get("event_id"),
            "action_taken": violation.get("action_taken"),
            "confidence_score": violation.get("confidence_score"),
            # Only the lake's (redacted) column, and only when the caller chose to pass it.
            "user_message": violation.get("user_message"),
        }
    return devin


def _message(actor: Actor, action: str | None, violation: Row | None) -> str:
    if violation is not None:
        name = violation.get("guardrail_name") or "unknown"
        return f"AI guardrail {name!r}: {violation.get('action_taken') or 'unknown'}"
    who = (
        actor.email or actor.name or actor.id or (PRODUCT if actor.kind == "system" else "unknown")
    )
    return f"{who}: {action or 'unknown'}"
